namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="RelayoutKernel"/>: one image row (n, y) per work item, its channels
/// and columns walked with the strides, so no index is divided back into (n, c, y, x) as the kernel must.</summary>
internal static unsafe class ImageLayoutConversionCpu
{
    /// <summary>Below this many elements the copy runs on the calling thread.</summary>
    private const int MinimumParallelLength = 1 << 16;

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> through the strides
    /// and C, H, W of <paramref name="geometry"/>, for <paramref name="batch"/> images; the spans are disjoint.</summary>
    public static void Run(Span<float> source, Span<float> destination, RelayoutKernel geometry, int batch)
    {
        int rows = batch * geometry.Height;
        fixed (float* from = source, to = destination)
        {
            float* input = from, output = to;
            if (source.Length < MinimumParallelLength)
            {
                for (int row = 0; row < rows; row++)
                    CopyRow(input, output, geometry, row);
            }
            else
            {
                Parallel.For(0, rows, Gemm.Cpu.CpuRows.OneWorkerPerCore, row => CopyRow(input, output, geometry, row));
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void CopyRow(float* source, float* destination, in RelayoutKernel g, int row)
    {
        int n = row / g.Height, y = row % g.Height;
        int sourceColumn = g.SourceStrides.Column, destinationColumn = g.DestinationStrides.Column;
        for (int c = 0; c < g.Channels; c++)
        {
            float* from = source + ImageStrides.OffsetOf(g.SourceStrides, n, c, y, 0);
            float* to = destination + ImageStrides.OffsetOf(g.DestinationStrides, n, c, y, 0);
            for (int x = 0; x < g.Width; x++)
                to[x * destinationColumn] = from[x * sourceColumn];
        }
    }
}
