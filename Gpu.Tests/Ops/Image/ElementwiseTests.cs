using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Tests.Ops.Image;

/// <summary>Colour conversion against the VDSR (MATLAB rgb2ycbcr) fixture, element-wise ops against
/// host computations.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class ElementwiseTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void RgbToYCbCrMatchesTheFixtureAndInvertsBack([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        var fixture = ImageTestData.Load("ycbcr");
        float[] rgb = fixture.Get("rgb"), ycbcr = fixture.Get("ycbcr");
        const int n = 2, h = 4, w = 5;
        bool nhwc = layout == TensorLayout.Nhwc;
        using var buffer = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(rgb, n, 3, h, w) : rgb);
        using var converted = Accelerator.Allocate<float>(rgb.Length);
        ColorConversion.RgbToYCbCr(Accelerator, buffer.View, converted.View, layout, n, h, w);
        float[] forward = converted.ToArray();
        ImageTestData.AssertClose(ycbcr, nhwc ? ImageTestData.ToNchw(forward, n, 3, h, w) : forward, 1e-6f, 1e-6f, "YCbCr");
        ColorConversion.YCbCrToRgb(Accelerator, converted.View, converted.View, layout, n, h, w);
        float[] back = converted.ToArray();
        ImageTestData.AssertClose(rgb, nhwc ? ImageTestData.ToNchw(back, n, 3, h, w) : back, 2e-6f, 2e-6f, "RGB round trip");

    }

    /// <summary>The CPU path gives the kernel's floats to the bit: rows of 8k + 5 pixels (vector and
    /// tail), batch 2, in place, both layouts and directions, with the kernel as the reference.</summary>
    [Test]
    public void ColourConversionPathsAgreeToTheBit([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout, [Values] bool inverse)
    {
        const int n = 2, h = 3, w = 21;
        float[] image = ImageTestData.Random(n * 3 * h * w, 21, 0f, 1f);
        using var kernelResult = Accelerator.Allocate<float>(image);
        using var inPlace = Accelerator.Allocate<float>(image);
        var convert = inverse ? (Action<ArrayView<float>, bool>)((view, portable) => ColorConversion.YCbCrToRgb(Accelerator, view, view, layout, n, h, w, portable))
            : (view, portable) => ColorConversion.RgbToYCbCr(Accelerator, view, view, layout, n, h, w, portable);
        convert(kernelResult.View, true);
        convert(inPlace.View, false);
        Assert.That(inPlace.ToArray(), Is.EqualTo(kernelResult.ToArray()));
    }

    [Test]
    public void ActivateScaleAndAddMatchTheHost()
    {
        float[] a = ImageTestData.Random(1000, 1, -2f, 2f), b = ImageTestData.Random(1000, 2);
        using var aBuffer = Accelerator.Allocate<float>(a);
        using var bBuffer = Accelerator.Allocate<float>(b);
        using var output = Accelerator.Allocate<float>(a.Length);
        Elementwise.Activate(Accelerator, aBuffer.View, output.View, Activation.Leaky(0.2f));
        ImageTestData.AssertClose([.. a.Select(x => x >= 0 ? x : 0.2f * x)], output.ToArray(), 0f, 0f, "leaky");
        Elementwise.Scale(Accelerator, aBuffer.View, output.View, -3f);
        ImageTestData.AssertClose([.. a.Select(x => -3f * x)], output.ToArray(), 0f, 0f, "scale");
        Elementwise.Add(Accelerator, aBuffer.View, bBuffer.View, output.View, activation: Activation.Relu);
        ImageTestData.AssertClose([.. a.Zip(b, (x, y) => Math.Max(x + y, 0f))], output.ToArray(), 0f, 0f, "add relu");

        using var shortBuffer = Accelerator.Allocate<float>(3);
        using var longBuffer = Accelerator.Allocate<float>(4);
        Assert.That(() => Elementwise.Add(Accelerator, shortBuffer.View, longBuffer.View, shortBuffer.View), Throws.ArgumentException);
    }

    /// <summary>The activation-typed kernels (the schedule of OpenCL CPU runtimes) launched directly, so
    /// every device runs them: each kind against the run-time-kind kernels, bit for bit, specials included.</summary>
    [Test]
    public void ActivationTypedKernelsMatchTheRunTimeKind([Values] ActivationKind kind)
    {
        // 49 runs of 7 elements for each of 3 channels: a length that fills no vector.
        const int channels = 3, divisor = 7, length = 49 * channels * divisor;
        using var a = Accelerator.Allocate<float>(ImageTestData.RandomWithSpecials(length, 21));
        using var b = Accelerator.Allocate<float>(ImageTestData.RandomWithSpecials(length, 22));
        using var scale = Accelerator.Allocate<float>(ImageTestData.Random(channels, 23, -2f, 2f));
        using var shift = Accelerator.Allocate<float>(ImageTestData.Random(channels, 24, -1f, 1f));
        using var expected = Accelerator.Allocate<float>(length);
        using var actual = Accelerator.Allocate<float>(length);
        var sum = new ScaleAddActivateKernel
        {
            A = a.View, B = b.View, Output = expected.View, ScaleA = 0.5f, ScaleB = -2f, Activation = kind, Slope = -1.5f,
        };
        var affine = new ChannelAffineKernel
        {
            Input = a.View, Output = expected.View, Scale = scale.View, Shift = shift.View, ChannelDivisor = divisor,
            Channels = channels, Activation = kind, Slope = -1.5f,
        };
        Accelerator.Launch(length, sum);
        ActivationFunctions.Launch(Accelerator, kind, sum with { Output = actual.View });
        Assert.That(Bits(actual.ToArray()), Is.EqualTo(Bits(expected.ToArray())), "scale-add");
        // Divisor 1 is NHWC's interleaved channels, which the typed kernel lays out as rows of one pixel.
        foreach (int channelDivisor in new[] { divisor, 1 })
        {
            Accelerator.Launch(length, affine with { ChannelDivisor = channelDivisor });
            ActivationFunctions.Launch(Accelerator, kind, affine with { ChannelDivisor = channelDivisor, Output = actual.View });
            Assert.That(Bits(actual.ToArray()), Is.EqualTo(Bits(expected.ToArray())), $"channel affine, divisor {channelDivisor}");
        }
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    /// <summary>Lengths around the CPU path's vector width and its 16K-element parts, the factor
    /// pairs it treats apart (a factor of 1 left out, b not read, two products), and every place the
    /// result may go: a separate output, either operand, or one view as both operands.</summary>
    [Test]
    public void EveryActivationAndFactorMatchesTheScalarCodeInAndOutOfPlace(
        [Values] ActivationKind kind, [Values(1, 13, 16384 + 11, 3 * 16384 + 5)] int length)
    {
        float[] a = ImageTestData.RandomWithSpecials(length, 7), b = ImageTestData.RandomWithSpecials(length, 8);
        // Slopes outside [0, 1], where max(x, slope·x) would differ from the op's x ≥ 0 ? x : slope·x.
        float[] slopes = kind == ActivationKind.LeakyRelu ? [0.2f, -1.5f, 2f] : [0f];
        using var first = Accelerator.Allocate<float>(length);
        using var second = Accelerator.Allocate<float>(length);
        using var output = Accelerator.Allocate<float>(length);
        foreach (float slope in slopes)
            foreach (var (scaleA, scaleB) in new[] { (1f, 0f), (-3f, 0f), (1f, 1f), (1f, -2f), (0.5f, 1f), (0.5f, -2f) })
                foreach (string target in scaleB == 0f ? ["output", "a"] : new[] { "output", "a", "b", "a = b" })
                {
                    var activation = new Activation(kind, slope);
                    // With b unused the op is Activate (factor 1) or Scale, which applies no activation.
                    var applied = scaleB == 0f && scaleA != 1f ? Activation.None : activation;
                    float[] bValues = target == "a = b" ? a : b;
                    float[] expected = [.. a.Zip(bValues, (x, y) => applied.Apply(scaleB != 0f ? scaleA * x + scaleB * y : scaleA * x))];
                    first.CopyFromHost(a);
                    second.CopyFromHost(bValues);
                    var (operandB, into) = target switch
                    {
                        "a" => (second, first),
                        "b" => (second, second),
                        "a = b" => (first, first),
                        _ => (second, output),
                    };
                    if (scaleB != 0f)
                        Elementwise.Add(Accelerator, first.View, operandB.View, into.View, scaleA, scaleB, activation);
                    else if (scaleA != 1f)
                        Elementwise.Scale(Accelerator, first.View, into.View, scaleA);
                    else
                        Elementwise.Activate(Accelerator, first.View, into.View, activation);
                    ImageTestData.AssertActivated(expected, into.ToArray(), applied.Kind, $"{activation}, {scaleA}·a + {scaleB}·b into {target}");
                }
    }
}
