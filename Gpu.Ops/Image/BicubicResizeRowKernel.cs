using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary><see cref="BicubicResizeKernel"/> for devices that run work items as loops on a host
/// processor (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): one work item per output
/// row of one plane, the 4×4 taps of each column unrolled (the row's vertical taps and weights are
/// loop-invariant), so the loop along the row is innermost and vectorises. Same arithmetic, same bits.</summary>
/// <remarks>A work item per output element leaves PoCL's loop over items scalar: it holds the tap
/// loops and the division that finds the channel, and its vectoriser takes only innermost loops
/// without such control flow (docs/opencl-engine.md, section 8.2).</remarks>
public struct BicubicResizeRowKernel : IKernel2D
{
    /// <summary>The views, strides and scales.</summary>
    public BicubicResizeKernel Parameters;
    /// <summary>W'.</summary>
    public int OutWidth;

    /// <summary>Output row <paramref name="y"/> of plane <paramref name="z"/>.</summary>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·C + c.</param>
    public void Execute(int y, int z)
    {
        var p = Parameters;
        int n = z / p.Channels, c = z - n * p.Channels;
        int plane = ImageStrides.OffsetOf(p.InStrides, n, c, 0, 0), outRow = ImageStrides.OffsetOf(p.OutStrides, n, c, y, 0);
        float sourceY = BicubicResize.SourceOf(p.ScaleY, y);
        for (int x = 0; x < OutWidth; x++)
            p.Output[outRow + x * p.OutStrides.Column] = BicubicResizeKernel.Sample(p.Input, p.InStrides, plane, p.Height, p.Width, sourceY, BicubicResize.SourceOf(p.ScaleX, x));
    }
}
