using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Image;

namespace Gpu.Tests.Ops.Image;

/// <summary>Ψ(x) = λx + μBN(x) in batch mode (statistics reduced on the device) and folded into a
/// convolution, against PyTorch's batch_norm.</summary>
public sealed class AdaptiveNormalizationTests(string deviceName) : DeviceTest(deviceName)
{
    private static AdaptiveNormalization Norm(ImageTestData.Fixture fixture, string name)
    {
        var geometry = fixture.Geometry(name);
        return new AdaptiveNormalization(geometry.GetProperty("lambda").GetSingle(), geometry.GetProperty("mu").GetSingle(),
            fixture.Get($"{name}/gamma"), fixture.Get($"{name}/beta"), geometry.GetProperty("epsilon").GetSingle());
    }

    [TestCase("batch_c24", TensorLayout.RowMajor)]
    [TestCase("batch_c24", TensorLayout.Nhwc)]
    [TestCase("batch_c3_1x1", TensorLayout.RowMajor)]
    public void BatchModeMatchesPyTorch(string name, TensorLayout layout)
    {
        var fixture = ImageTestData.Load("adaptive_norm");
        var norm = Norm(fixture, name);
        int[] shape = fixture.ShapeOf($"{name}/input");
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        bool nhwc = layout == TensorLayout.Nhwc;
        float[] input = fixture.Get($"{name}/input");
        using var buffer = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(input, n, c, h, w) : input);
        using var statistics = Accelerator.Allocate<float>(2L * c);
        norm.ForwardBatch(Accelerator, buffer.View, buffer.View, layout, n, h, w, Activation.Leaky(0.2f), statistics.View);
        float[] output = buffer.ToArray();
        float[] moments = statistics.ToArray();
        ImageTestData.AssertClose(fixture.Get($"{name}/mean"), moments[..c], 1e-5f, 1e-5f, "mean");
        ImageTestData.AssertClose(fixture.Get($"{name}/variance"), moments[c..], 1e-5f, 1e-5f, "variance");
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), nhwc ? ImageTestData.ToNchw(output, n, c, h, w) : output, 2e-5f, 2e-5f, "output");

    }

    /// <summary>Folded mode given the image's own statistics is batch mode: PyTorch's batch-mode
    /// output, from the fixture's mean and variance, on both paths and layouts, in one call and
    /// from the prepared layer.</summary>
    [Test]
    public void FoldedModeWithTheImagesStatisticsMatchesPyTorchsBatchMode([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout,
        [Values] bool portable, [Values] bool prepared)
    {
        const string name = "batch_c24";
        var fixture = ImageTestData.Load("adaptive_norm");
        var norm = Norm(fixture, name) with { PreferPortableKernels = portable };
        int[] shape = fixture.ShapeOf($"{name}/input");
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        bool nhwc = layout == TensorLayout.Nhwc;
        float[] input = fixture.Get($"{name}/input");
        using var source = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(input, n, c, h, w) : input);
        using var result = Accelerator.Allocate<float>(input.Length);
        float[] mean = fixture.Get($"{name}/mean"), variance = fixture.Get($"{name}/variance");
        using var layer = prepared ? norm.PrepareFolded(Accelerator, mean, variance) : null;
        if (layer is null)
            norm.ForwardFolded(Accelerator, source.View, result.View, layout, n, h, w, mean, variance, Activation.Leaky(0.2f));
        else
            layer.Forward(source.View, result.View, layout, n, h, w, Activation.Leaky(0.2f));
        float[] output = result.ToArray();
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), nhwc ? ImageTestData.ToNchw(output, n, c, h, w) : output, 2e-5f, 2e-5f, "output");
    }

    [Test]
    public void StatisticsKernelMatchesTheHostReduction()
        // The grouped reduction itself, launched directly so the CPU's emulation covers it too.
        => AssertStatisticsKernelMatchesTheHost(Accelerator, 2, 3, 9, 31, TensorLayout.RowMajor, offset: 0f);

    /// <summary>The barrier-free schedule launched directly, so every device runs it (the op takes it only on
    /// OpenCL CPU runtimes): rows that fill no lane set, rows longer than one block, both layouts.</summary>
    [Test]
    public void RowStatisticsKernelMatchesTheHostReduction([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout,
        [Values(new[] { 2, 3, 9, 31 }, new[] { 1, 2, 1, 5 }, new[] { 2, 3, 37, 41 })] int[] shape)
        => AssertStatisticsKernelMatchesTheHost(Accelerator, shape[0], shape[1], shape[2], shape[3], layout, offset: 40f, rowSchedule: true);

    /// <summary>The parts schedule (NCHW planes on OpenCL CPU runtimes) launched directly, so every device runs
    /// it: a plane shorter than a lane set, one of exactly one part, planes of several parts ending in a short
    /// part that fills no lane set, and NHWC of one channel (planes contiguous too).</summary>
    [TestCase(2, 3, 1, 5, TensorLayout.RowMajor)]
    [TestCase(1, 2, 64, 64, TensorLayout.RowMajor)]
    [TestCase(2, 3, 71, 61, TensorLayout.RowMajor)]
    [TestCase(1, 1, 129, 97, TensorLayout.Nhwc)]
    public void PartStatisticsKernelsMatchTheHostReduction(int n, int c, int h, int w, TensorLayout layout)
        => AssertStatisticsKernelMatchesTheHost(Accelerator, n, c, h, w, layout, offset: 40f, partSchedule: true);

    /// <summary>Launches <see cref="ChannelStatisticsKernel"/> (or, with <paramref name="rowSchedule"/>,
    /// <see cref="ChannelStatisticsRowKernel"/> directly) on an N·C·H·W image of random values plus
    /// <paramref name="offset"/> and compares its moments with <see cref="ChannelStatisticsKernel.ComputeOnHost"/>;
    /// with <paramref name="partSchedule"/>, <see cref="ChannelStatisticsPartKernel"/> and its merge directly.</summary>
    internal static void AssertStatisticsKernelMatchesTheHost(Accelerator accelerator, int n, int c, int h, int w, TensorLayout layout, float offset,
        bool rowSchedule = false, bool partSchedule = false)
    {
        float[] input = [.. ImageTestData.Random((long)n * c * h * w, 5, -2f, 3f).Select(x => x + offset)];
        var strides = ImageStrides.Of(layout, c, h, w);
        var expected = new float[2 * c];
        ChannelStatisticsKernel.ComputeOnHost(input, expected, strides, c, n, h * w);
        using var buffer = accelerator.Allocate<float>(input);
        using var moments = accelerator.Allocate<float>(2 * c);
        using var parts = accelerator.Allocate<float>(2L * ChannelStatisticsPartKernel.PartCount(c, n, h * w));
        if (partSchedule)
        {
            accelerator.Launch(ChannelStatisticsPartKernel.PartCount(c, n, h * w), new ChannelStatisticsPartKernel
            {
                Input = buffer.View, Parts = parts.View, Strides = strides, Channels = c, Batch = n, Pixels = h * w,
            });
            accelerator.Launch(c, new ChannelStatisticsMergeKernel { Parts = parts.View, Moments = moments.View, Channels = c, Batch = n, Pixels = h * w });
        }
        else if (rowSchedule)
            accelerator.LaunchGrouped(ChannelStatisticsRowKernel.ExtentOf(c), new ChannelStatisticsRowKernel
            {
                Input = buffer.View, Moments = moments.View, Strides = strides, Channels = c, Batch = n, Pixels = h * w,
            });
        else
            ChannelStatisticsKernel.Launch(accelerator, buffer.View, moments.View, strides, c, n, h * w);
        ImageTestData.AssertClose(expected, moments.ToArray(), 1e-5f, 1e-5f, "moments");
    }

    /// <summary>1×1 images (NCHW then interleaved like NHWC), shapes that fill no vector, and planes
    /// and pixel runs longer than the CPU path's 16K-element parts; values offset far from 0, where
    /// E[x²] − E[x]² would cancel.</summary>
    [Test]
    public void BatchModeOnEveryPathMatchesTheHostReduction([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout,
        [Values(new[] { 1, 3, 1, 1 }, new[] { 3, 7, 1, 1 }, new[] { 2, 5, 33, 65 }, new[] { 2, 3, 131, 127 })] int[] shape,
        [Values] bool portable)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        var norm = Ramp(c) with { PreferPortableKernels = portable };
        float[] input = [.. ImageTestData.Random((long)n * c * h * w, 11, -2f, 3f).Select(x => x + 40f)];
        var strides = ImageStrides.Of(layout, c, h, w);
        float[] laidOut = layout == TensorLayout.Nhwc ? ImageTestData.ToNhwc(input, n, c, h, w) : input;
        var expectedMoments = new float[2 * c];
        ChannelStatisticsKernel.ComputeOnHost(laidOut, expectedMoments, strides, c, n, h * w);
        var (scale, shift) = norm.Affine(expectedMoments.AsSpan(0, c), expectedMoments.AsSpan(c));
        var activation = Activation.Leaky(0.2f);
        float[] expected = [.. input.Select((x, i) => activation.Apply(x * scale[i / (h * w) % c] + shift[i / (h * w) % c]))];
        using var buffer = Accelerator.Allocate<float>(laidOut);
        using var statistics = Accelerator.Allocate<float>(2L * c);
        norm.ForwardBatch(Accelerator, buffer.View, buffer.View, layout, n, h, w, activation, statistics.View);
        float[] output = buffer.ToArray();
        ImageTestData.AssertClose(expectedMoments, statistics.ToArray(), 1e-5f, 2e-6f, "moments");
        ImageTestData.AssertClose(expected, layout == TensorLayout.Nhwc ? ImageTestData.ToNchw(output, n, c, h, w) : output, 1e-4f, 1e-5f, "output");
    }

    /// <summary>The affine alone (what folded statistics leave), both layouts, every activation,
    /// in and out of place, against the scalar code bit for bit.</summary>
    [Test]
    public void ChannelAffineMatchesTheScalarCode([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout,
        [Values] ActivationKind kind, [Values(new[] { 2, 3, 1, 1 }, new[] { 2, 5, 131, 127 })] int[] shape, [Values] bool inPlace)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        float[] scale = ImageTestData.Random(c, 12, -2f, 2f), shift = ImageTestData.Random(c, 13, -1f, 1f);
        float[] input = ImageTestData.RandomWithSpecials((long)n * c * h * w, 14);
        var activation = new Activation(kind, -1.5f);
        var strides = ImageStrides.Of(layout, c, h, w);
        float[] expected = [.. input.Select((x, i) => activation.Apply(x * scale[ChannelOf(i, layout, c, h * w)] + shift[ChannelOf(i, layout, c, h * w)]))];
        using var source = Accelerator.Allocate<float>(input);
        using var result = Accelerator.Allocate<float>(input.Length);
        using var scales = Accelerator.Allocate<float>(scale);
        using var shifts = Accelerator.Allocate<float>(shift);
        var target = inPlace ? source : result;
        ChannelAffineKernel.Launch(Accelerator, new ChannelAffineKernel
        {
            Input = source.View, Output = target.View, Scale = scales.View, Shift = shifts.View,
            ChannelDivisor = strides.Channel == 1 ? 1 : h * w, Channels = c, Activation = kind, Slope = activation.Slope,
        });
        ImageTestData.AssertActivated(expected, target.ToArray(), kind, $"{layout} {activation}");
    }

    /// <summary>A prepared layer is <see cref="AdaptiveNormalization.ForwardFolded"/> computed once:
    /// its result bit for bit on every one of several calls, in and out of place, on both paths and
    /// layouts.</summary>
    [Test]
    public void PreparedFoldedLayerGivesForwardFoldedsResultOnEveryCall([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout,
        [Values(new[] { 1, 3, 1, 1 }, new[] { 2, 5, 131, 127 })] int[] shape, [Values] bool portable, [Values] bool inPlace)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
        var norm = Ramp(c) with { PreferPortableKernels = portable };
        float[] mean = ImageTestData.Random(c, 21, -1f, 1f), variance = ImageTestData.Random(c, 22, 0.1f, 2f);
        float[] input = ImageTestData.Random((long)n * c * h * w, 23, -2f, 3f);
        var activation = Activation.Leaky(0.2f);
        using var source = Accelerator.Allocate<float>(input);
        using var result = Accelerator.Allocate<float>(input.Length);
        norm.ForwardFolded(Accelerator, source.View, result.View, layout, n, h, w, mean, variance, activation);
        float[] expected = result.ToArray();
        using var layer = norm.PrepareFolded(Accelerator, mean, variance);
        var target = inPlace ? source : result;
        for (int call = 0; call < 3; call++)
        {
            source.CopyFromHost(input);
            result.Clear();
            layer.Forward(source.View, target.View, layout, n, h, w, activation);
            Assert.That(target.ToArray(), Is.EqualTo(expected), $"call {call}");
        }
    }

    [Test]
    public void PreparedFoldedLayerRejectsWrongShapesAndUseAfterDispose()
    {
        var norm = Ramp(3);
        Assert.That(() => norm.PrepareFolded(null!, new float[3], new float[3]), Throws.ArgumentNullException);
        Assert.That(() => norm.PrepareFolded(Accelerator, new float[2], new float[3]), Throws.ArgumentException.With.Message.Contains("mean 2"));
        Assert.That(() => (norm with { Beta = new float[4] }).PrepareFolded(Accelerator, new float[3], new float[3]), Throws.ArgumentException.With.Message.Contains("β 4"));
        using var image = Accelerator.Allocate<float>(2 * 3 * 4 * 5);
        using var layer = norm.PrepareFolded(Accelerator, new float[3], new float[3]);
        Assert.That((layer.Channels, layer.Accelerator), Is.EqualTo((3, Accelerator)));
        Assert.That(() => layer.Forward(image.View, image.View.SubView(0, 119), TensorLayout.RowMajor, 2, 4, 5), Throws.ArgumentException.With.Message.Contains("output 119"));
        Assert.That(() => layer.Forward(image.View, image.View, TensorLayout.RowMajor, 2, 4, 6), Throws.ArgumentException.With.Message.Contains("holds 144"));
        Assert.That(() => layer.Forward(image.View, image.View, TensorLayout.Nhwc, 0, 4, 5), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => layer.Forward(image.View, image.View, (TensorLayout)7, 2, 4, 5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("NHWC"));
        layer.Dispose();
        Assert.That(() => layer.Forward(image.View, image.View, TensorLayout.RowMajor, 2, 4, 5), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static AdaptiveNormalization Ramp(int channels)
        => new(0.7f, 0.5f, [.. Enumerable.Range(0, channels).Select(k => 0.5f + k * 0.25f)], [.. Enumerable.Range(0, channels).Select(k => k * 0.1f - 0.2f)], 1e-3f);

    private static int ChannelOf(int index, TensorLayout layout, int channels, int pixels)
        => layout == TensorLayout.Nhwc ? index % channels : index / pixels % channels;

    [Test]
    public void FoldedIntoTheConvolutionMatchesPyTorch()
    {
        var fixture = ImageTestData.Load("adaptive_norm");
        var norm = Norm(fixture, "folded");
        int[] inputShape = fixture.ShapeOf("folded/input"), weightShape = fixture.ShapeOf("folded/weight");
        var shape = Conv2dShape.Same(inputShape[0], inputShape[1], inputShape[2], inputShape[3], weightShape[0], 3);
        var (weights, bias) = norm.FoldInto(shape, fixture.Get("folded/weight"), fixture.Get("folded/bias"), fixture.Get("folded/mean"), fixture.Get("folded/variance"));
        using var conv = new Conv2d(Accelerator, shape, weights, new Conv2dEpilogue(Bias: bias, Activation: Activation.Leaky(0.2f)));
        using var input = Accelerator.Allocate<float>(fixture.Get("folded/input"));
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        conv.Forward(input.View, output.View);
        ImageTestData.AssertClose(fixture.Get("folded/output"), output.ToArray(), 2e-5f, 2e-5f, "folded conv");

    }

    [Test]
    public void MismatchedParametersAreRejected()
    {
        var norm = new AdaptiveNormalization(1f, 0.5f, new float[3], new float[2], 1e-3f);
        Assert.That(() => norm.Affine(new float[3], new float[3]), Throws.ArgumentException.With.Message.Contains("β 2"));
        var good = new AdaptiveNormalization(1f, 0.5f, new float[3], new float[3], 1e-3f);
        Assert.That(() => good.FoldInto(Conv2dShape.Same(1, 2, 4, 4, 4, 3), new float[72], null, new float[3], new float[3]),
            Throws.ArgumentException.With.Message.Contains("3 outputs"));
    }
}
