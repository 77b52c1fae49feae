using Gpu.Core;
using ILGPU;

namespace Gpu.Models.Compression;

/// <summary>Device memory that the compressed routes of one network's layers share, since the
/// layers run one after another: the im2col matrix and, in an NHWC network, the NCHW copies of a
/// layer's input and output (for a <see cref="RoutedLinear"/>, its transposed input and output).
/// Each region grows to the largest layer's need and stays.</summary>
public sealed class ConvScratch(Accelerator accelerator) : IDisposable
{
    private readonly DeviceBuffer<float>?[] regions = new DeviceBuffer<float>?[Enum.GetValues<ScratchRegion>().Length];

    /// <summary>Bytes held now.</summary>
    public long Bytes => regions.Sum(r => r is null ? 0L : r.Length * sizeof(float));

    /// <summary>The first <paramref name="length"/> floats of a region, grown (and its old contents dropped) when too small.</summary>
    internal ArrayView<float> Get(ScratchRegion region, long length)
    {
        ref var buffer = ref regions[(int)region];
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = accelerator.Allocate<float>(length);
        }
        return buffer.View.SubView(0, length);
    }

    /// <summary>Frees every region.</summary>
    public void Dispose()
    {
        foreach (var buffer in regions)
            buffer?.Dispose();
        Array.Clear(regions);
    }
}

/// <summary>The regions of a <see cref="ConvScratch"/>.</summary>
internal enum ScratchRegion
{
    /// <summary>One image's im2col matrix.</summary>
    Columns,

    /// <summary>A layer's input converted to NCHW.</summary>
    Input,

    /// <summary>A layer's output in NCHW before it is converted back.</summary>
    Output,
}
