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

    [Test]
    public void StatisticsKernelMatchesTheHostReduction()
    {
        // The grouped reduction itself, launched directly so the CPU's emulation covers it too.
        const int n = 2, c = 3, h = 9, w = 31;
        float[] input = ImageTestData.Random(n * c * h * w, 5, -2f, 3f);
        var strides = ImageStrides.Of(TensorLayout.RowMajor, c, h, w);
        var expected = new float[2 * c];
        ChannelStatisticsKernel.ComputeOnHost(input, expected, strides, c, n, h * w);
        using var buffer = Accelerator.Allocate<float>(input);
        using var moments = Accelerator.Allocate<float>(2 * c);
        ChannelStatisticsKernel.Launch(Accelerator, buffer.View, moments.View, strides, c, n, h * w);
        ImageTestData.AssertClose(expected, moments.ToArray(), 1e-5f, 1e-5f, "moments");

    }

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
