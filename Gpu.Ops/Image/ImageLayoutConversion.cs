using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>Copies a 4D image between NCHW and NHWC. A model converts its input once and its
/// output once; every layer in between runs in the layout its device's fast path prefers.</summary>
public static class ImageLayoutConversion
{
    /// <summary>Writes <paramref name="source"/> (in <paramref name="from"/>) into <paramref name="destination"/> (in <paramref name="to"/>).</summary>
    /// <param name="accelerator">The accelerator owning both views.</param>
    /// <param name="source">N·C·H·W elements.</param>
    /// <param name="from">The source layout.</param>
    /// <param name="destination">N·C·H·W elements, not overlapping the source.</param>
    /// <param name="to">The destination layout.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    /// <exception cref="ArgumentException">A view has the wrong length.</exception>
    public static void Convert(Accelerator accelerator, ArrayView<float> source, TensorLayout from, ArrayView<float> destination, TensorLayout to,
        int batch, int channels, int height, int width, bool preferPortableKernel = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        long count = (long)batch * channels * height * width;
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0 || count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), $"Image dimensions must be positive and hold under 2^31 elements: {batch}×{channels}×{height}×{width}.");
        if (source.Length != count || destination.Length != count)
            throw new ArgumentException($"A {batch}×{channels}×{height}×{width} image holds {count} elements; source has {source.Length}, destination {destination.Length}.");
        Run(accelerator, source, destination, new RelayoutKernel
        {
            Channels = channels, Height = height, Width = width,
            SourceStrides = ImageStrides.Of(from, channels, height, width), DestinationStrides = ImageStrides.Of(to, channels, height, width),
        }, batch, preferPortableKernel);
    }

    /// <summary>Turns a feature map one row high into a time-major sequence (as CRNN's conv stack
    /// feeds its LSTMs): column t of image n becomes step t, sequence n, so
    /// <c>destination[(t·N + n)·C + c] = source[n, c, 0, t]</c>.</summary>
    /// <param name="accelerator">The accelerator owning both views.</param>
    /// <param name="source">N·C·1·T elements in <paramref name="layout"/>.</param>
    /// <param name="layout">The source layout.</param>
    /// <param name="destination">T·N·C elements, not overlapping the source.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="steps">T, the source's width.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    /// <exception cref="ArgumentException">A view has the wrong length or a dimension is not positive.</exception>
    public static void ToTimeMajor(Accelerator accelerator, ArrayView<float> source, TensorLayout layout, ArrayView<float> destination, int batch, int channels, int steps,
        bool preferPortableKernel = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        long count = (long)batch * channels * steps;
        if (batch <= 0 || channels <= 0 || steps <= 0 || count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), $"Sequence dimensions must be positive and hold under 2^31 elements: {batch}×{channels}×{steps}.");
        if (source.Length != count || destination.Length != count)
            throw new ArgumentException($"A {batch}×{channels}×1×{steps} map holds {count} elements; source has {source.Length}, destination {destination.Length}.");
        Run(accelerator, source, destination, new RelayoutKernel
        {
            Channels = channels, Height = 1, Width = steps,
            SourceStrides = ImageStrides.Of(layout, channels, 1, steps),
            DestinationStrides = new ImageStrides { Batch = channels, Channel = 1, Row = 0, Column = batch * channels },
        }, batch, preferPortableKernel);
    }

    /// <summary>Runs <paramref name="geometry"/> (its strides and C, H, W; the views are set here) over
    /// <paramref name="batch"/> images: on the CPU the host loop of <see cref="ImageLayoutConversionCpu"/>,
    /// elsewhere one thread per element.</summary>
    private static void Run(Accelerator accelerator, ArrayView<float> source, ArrayView<float> destination, RelayoutKernel geometry, int batch, bool preferPortableKernel)
    {
        accelerator.CheckView(source);
        accelerator.CheckView(destination);
        OperandChecks.Disjoint(source, destination);
        if (accelerator.IsHostAddressable() && !preferPortableKernel)
            ImageLayoutConversionCpu.Run(source.AsHostSpan(accelerator), destination.AsHostSpan(accelerator), geometry, batch);
        else
            accelerator.Launch(OperandChecks.LaunchCount(source), geometry with { Source = source, Destination = destination });
    }
}

/// <summary>One thread per element, enumerated in NCHW order, reading and writing through strides.</summary>
public struct RelayoutKernel : IKernel1D
{
    /// <summary>The image to read.</summary>
    public ArrayView<float> Source;
    /// <summary>The image to write.</summary>
    public ArrayView<float> Destination;
    /// <summary>Strides of each side.</summary>
    public ImageStrides SourceStrides, DestinationStrides;
    /// <summary>C, H, W.</summary>
    public int Channels, Height, Width;

    /// <summary>Copies element <paramref name="index"/> (NCHW order).</summary>
    /// <param name="index">The element.</param>
    public void Execute(int index)
    {
        int x = index % Width;
        int rest = index / Width;
        int y = rest % Height;
        rest /= Height;
        int c = rest % Channels;
        int n = rest / Channels;
        Destination[ImageStrides.OffsetOf(DestinationStrides, n, c, y, x)] = Source[ImageStrides.OffsetOf(SourceStrides, n, c, y, x)];
    }
}
