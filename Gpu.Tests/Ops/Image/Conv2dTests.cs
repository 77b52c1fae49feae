using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm.Cpu;
using Gpu.Ops.Image;

namespace Gpu.Tests.Ops.Image;

/// <summary>Geometry of a fixture case and the conv2d fixture cases themselves.</summary>
internal static class ConvFixtures
{
    public static readonly string[] Cases =
        ["c3_d1_batch2", "c24_d4", "c24_dilation_beyond_image", "c24_to3_1x1", "c64_2x2_valid", "c1_image_1x1", "c3_stride2_per_side", "c64_to1_residual"];

    /// <summary>Conv sums of up to 576 float terms: PyTorch's and ours differ in summation order.</summary>
    public const float Absolute = 2e-5f, Relative = 2e-5f;

    /// <summary>The bound a path is held to: F(4×4, 3×3)'s transform entries (up to 8, and fractions
    /// down to 1/24 in the weights) add about ten times the rounding of the other paths, so it gets
    /// five times their bound (measured: 2.6e-5 at 64 channels, against 2.4e-5 allowed the others).</summary>
    public static (float Absolute, float Relative) Tolerance(Conv2dPath path)
        => path == Conv2dPath.CpuWinograd4x4 ? (5 * Absolute, 5 * Relative) : (Absolute, Relative);

    public static (Conv2dShape Shape, float[] Input, float[] Weights, Conv2dEpilogue Epilogue, float[]? Residual, float[] Expected) Load(string name)
    {
        var fixture = ImageTestData.Load("conv2d");
        int[] input = fixture.ShapeOf($"{name}/input"), weight = fixture.ShapeOf($"{name}/weight");
        var geometry = fixture.Geometry(name);
        int[] pad = [.. geometry.GetProperty("padding").EnumerateArray().Select(e => e.GetInt32())];
        var shape = new Conv2dShape(input[0], input[1], input[2], input[3], weight[0], weight[2], weight[3],
            geometry.GetProperty("stride").GetInt32(), geometry.GetProperty("dilation").GetInt32(), new Padding2d(pad[0], pad[1], pad[2], pad[3]));
        var activation = geometry.GetProperty("activation").GetString() switch
        {
            "relu" => Activation.Relu,
            "leaky" => Activation.Leaky(geometry.GetProperty("slope").GetSingle()),
            _ => Activation.None,
        };
        var epilogue = new Conv2dEpilogue(fixture.Find($"{name}/bias"), fixture.Find($"{name}/scale"), fixture.Find($"{name}/shift"), activation);
        return (shape, fixture.Get($"{name}/input"), fixture.Get($"{name}/weight"), epilogue, fixture.Find($"{name}/residual"), fixture.Get($"{name}/output"));
    }
}

/// <summary>The plain reference against PyTorch: what makes it a trustworthy oracle for the rest.</summary>
public sealed class Conv2dReferenceTests
{
    [TestCaseSource(typeof(ConvFixtures), nameof(ConvFixtures.Cases))]
    public void ReferenceMatchesPyTorch(string name)
    {
        var (shape, input, weights, epilogue, residual, expected) = ConvFixtures.Load(name);
        Assert.That(shape.OutputLength, Is.EqualTo(expected.Length), "output size formula");
        ImageTestData.AssertClose(expected, Conv2dReference.Forward(shape, input, weights, epilogue, residual), ConvFixtures.Absolute, ConvFixtures.Relative, name);
    }

    [Test]
    public void AKernelLargerThanThePaddedInputIsRejected()
        => Assert.That(() => new Conv2dShape(1, 1, 4, 4, 1, 3, 3, 1, 3, Padding2d.Symmetric(1)).Validate(),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("does not fit"));

    [Test]
    public void ANonPositiveDimensionIsRejected()
        => Assert.That(() => Conv2dShape.Same(1, 0, 4, 4, 1, 3).Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
}

/// <summary>Every conv path the device has, against the PyTorch fixtures, in both layouts.</summary>
public sealed class Conv2dTests(string deviceName) : DeviceTest(deviceName)
{
    public static IEnumerable<TestCaseData> PathCases()
    {
        foreach (string name in ConvFixtures.Cases)
        {
            yield return new TestCaseData(name, Conv2dPath.Direct, TensorLayout.RowMajor);
            yield return new TestCaseData(name, Conv2dPath.Direct, TensorLayout.Nhwc);
            yield return new TestCaseData(name, Conv2dPath.Tiled, TensorLayout.RowMajor);
            yield return new TestCaseData(name, Conv2dPath.RegisterBlocked, TensorLayout.RowMajor);
            yield return new TestCaseData(name, Conv2dPath.CpuSimd, TensorLayout.Nhwc);
            if (Conv2dCpuWinograd.Supports(ConvFixtures.Load(name).Shape))
            {
                yield return new TestCaseData(name, Conv2dPath.CpuWinograd, TensorLayout.Nhwc);
                yield return new TestCaseData(name, Conv2dPath.CpuWinograd4x4, TensorLayout.Nhwc);
            }
        }
    }

    [TestCaseSource(nameof(PathCases))]
    public void PathMatchesPyTorch(string name, Conv2dPath path, TensorLayout layout)
    {
        var (shape, input, weights, epilogue, residual, expected) = ConvFixtures.Load(name);
        if (path is Conv2dPath.CpuSimd or Conv2dPath.CpuWinograd or Conv2dPath.CpuWinograd4x4 && !Accelerator.IsHostAddressable())
            Assert.Ignore("the SIMD paths are the CPU accelerator's");
        if (path == Conv2dPath.Tiled && !Conv2dTiledKernel.Fits(shape))
            Assert.Ignore($"the dilated footprint of {name} does not fit the tiled kernel; Auto runs it with the direct kernel");
        if (path == Conv2dPath.Tiled && Accelerator.IsHostAddressable() && shape.InChannels > 3)
            Assert.Ignore("the CPU runs grouped kernels on ILGPU's CPU accelerator, an emulator: two barriers per input channel make this case take seconds; the cases with ≤ 3 input channels cover the kernel here, translated devices run them all");
        float[] actual = Run(shape, input, weights, epilogue, residual, layout, path);
        var (absolute, relative) = ConvFixtures.Tolerance(path);
        ImageTestData.AssertClose(expected, actual, absolute, relative, $"{name} {path} {layout}");

    }

    /// <summary>Geometries that cross the register-blocked kernel's 16-pixel runs and 4-channel blocks
    /// (widths and channel counts off those multiples, a row narrower than a run), stride 2 and 3,
    /// asymmetric padding, non-square kernels, and dilations from 1 to beyond the image.</summary>
    private static readonly (int N, int C, int H, int W, int O, int KH, int KW, int Stride, int Dilation, Padding2d Padding)[] BlockedGeometries =
    [
        (1, 24, 13, 37, 24, 3, 3, 1, 1, Padding2d.Symmetric(1)), (2, 5, 9, 50, 7, 3, 3, 1, 2, Padding2d.Symmetric(2)),
        (1, 3, 6, 11, 6, 3, 3, 1, 1, Padding2d.Symmetric(1)), (1, 8, 21, 45, 5, 3, 3, 2, 1, new Padding2d(1, 0, 1, 2)),
        (1, 6, 17, 40, 9, 3, 3, 3, 2, Padding2d.Symmetric(2)), (1, 4, 30, 70, 4, 3, 3, 1, 16, Padding2d.Symmetric(16)),
        (1, 4, 12, 33, 3, 3, 3, 1, 24, Padding2d.Symmetric(24)), (1, 2, 19, 29, 5, 2, 4, 1, 3, new Padding2d(2, 1, 0, 3)),
        (1, 7, 8, 64, 8, 1, 1, 1, 1, Padding2d.Symmetric(0)), (2, 3, 10, 19, 6, 5, 5, 2, 1, Padding2d.Symmetric(2)),
    ];

    private static readonly Activation[] Activations =
        [Activation.None, Activation.Relu, Activation.Leaky(0.2f), new(ActivationKind.Sigmoid, 0f), new(ActivationKind.Tanh, 0f)];

    public static IEnumerable<TestCaseData> BlockedCases()
        => BlockedGeometries.Select((g, i) => new TestCaseData(i, g.N, g.C, g.H, g.W, g.O, g.KH, g.KW, g.Stride, g.Dilation, g.Padding));

    /// <summary>The register-blocked kernel against the plain reference with bias, scale, shift, each
    /// activation in turn, and a residual in every other case (each activation with and without one over
    /// the ten geometries), on every device (it is the OpenCL CPU devices' NCHW path).</summary>
    [TestCaseSource(nameof(BlockedCases))]
    public void RegisterBlockedMatchesTheReference(int index, int n, int c, int h, int w, int o, int kh, int kw, int stride, int dilation, Padding2d padding)
    {
        var shape = new Conv2dShape(n, c, h, w, o, kh, kw, stride, dilation, padding);
        float[] input = ImageTestData.Random(shape.InputLength, 31 + index), weights = ImageTestData.Random(shape.WeightLength, 32 + index, -0.3f, 0.3f);
        float[]? residual = index % 2 == 0 ? ImageTestData.Random(shape.OutputLength, 33 + index) : null;
        var activation = Activations[index % Activations.Length];
        var epilogue = new Conv2dEpilogue(ImageTestData.Random(o, 34), ImageTestData.Random(o, 35, 0.5f, 2f), ImageTestData.Random(o, 36), activation);
        float[] expected = Conv2dReference.Forward(shape, input, weights, epilogue, residual);
        float[] actual = Run(shape, input, weights, epilogue, residual, TensorLayout.RowMajor, Conv2dPath.RegisterBlocked);
        ImageTestData.AssertClose(expected, actual, ConvFixtures.Absolute, ConvFixtures.Relative, $"{activation.Kind} {shape} residual {residual is not null}");
    }

    /// <summary>CPU OpenCL runtimes (PoCL) take the register-blocked kernel for NCHW; GPUs keep the tiled one.</summary>
    [Test]
    public void AutoPicksTheRegisterBlockedKernelOnCpuOpenClDevices()
    {
        var shape = Conv2dShape.Same(1, 24, 32, 32, 24, 3, 4);
        using var conv = new Conv2d(Accelerator, shape, new float[shape.WeightLength]);
        if (Accelerator.IsHostAddressable())
            Assert.Ignore("the CPU engine has its own paths");
        bool cpuLike = Accelerator.Device.Kind == DeviceKind.OpenCL && Accelerator.Device.Hardware == DeviceHardware.Cpu;
        Assert.That(conv.AutoPath(TensorLayout.RowMajor), Is.EqualTo(cpuLike ? Conv2dPath.RegisterBlocked : Conv2dPath.Tiled));
    }

    [Test]
    public void WrongLengthsAreRejected()
    {
        var shape = Conv2dShape.Same(1, 2, 4, 4, 3, 3);
        Assert.That(() => new Conv2d(Accelerator, shape, new float[5]), Throws.ArgumentException.With.Message.Contains("needs 54 weights"));
        using var conv = new Conv2d(Accelerator, shape, new float[shape.WeightLength]);
        using var input = Accelerator.Allocate<float>(shape.InputLength);
        using var output = Accelerator.Allocate<float>(shape.OutputLength + 1);
        Assert.That(() => conv.Forward(input.View, output.View), Throws.ArgumentException.With.Message.Contains("output"));
        Assert.That(() => new Conv2d(Accelerator, shape, new float[shape.WeightLength], new Conv2dEpilogue(Bias: new float[2])),
            Throws.ArgumentException.With.Message.Contains("Bias"));
    }

    [TestCase(Conv2dPath.CpuSimd, TensorLayout.RowMajor, "NHWC")]
    [TestCase(Conv2dPath.RegisterBlocked, TensorLayout.Nhwc, "NCHW")]
    public void APathRefusesTheOtherLayout(Conv2dPath path, TensorLayout layout, string needed)
    {
        var shape = Conv2dShape.Same(1, 2, 4, 4, 3, 3);
        using var conv = new Conv2d(Accelerator, shape, new float[shape.WeightLength]);
        using var input = Accelerator.Allocate<float>(shape.InputLength);
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        Assert.That(() => conv.Forward(input.View, output.View, layout, path: path), Throws.InstanceOf<NotSupportedException>().With.Message.Contains(needed));
    }

    [TestCase(2, 1)]
    [TestCase(3, 2)]
    public void TheWinogradPathsRefuseOtherKernelsAndStrides(int kernel, int stride)
    {
        var shape = new Conv2dShape(1, 2, 8, 8, 3, kernel, kernel, stride, 1, Padding2d.Symmetric(1));
        using var conv = new Conv2d(Accelerator, shape, new float[shape.WeightLength]);
        using var input = Accelerator.Allocate<float>(shape.InputLength);
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        foreach (var path in new[] { Conv2dPath.CpuWinograd, Conv2dPath.CpuWinograd4x4 })
            Assert.That(() => conv.Forward(input.View, output.View, TensorLayout.Nhwc, path: path),
                Throws.InstanceOf<NotSupportedException>().With.Message.Contains("3×3 kernel at stride 1"), path.ToString());
    }

    private float[] Run(Conv2dShape shape, float[] input, float[] weights, Conv2dEpilogue epilogue, float[]? residual, TensorLayout layout, Conv2dPath path)
    {
        bool nhwc = layout == TensorLayout.Nhwc;
        using var conv = new Conv2d(Accelerator, shape, weights, epilogue);
        using var inputBuffer = Accelerator.Allocate<float>(input);
        using var inputInLayout = Accelerator.Allocate<float>(input.Length);
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        using var residualBuffer = Accelerator.Allocate<float>(residual is null ? [] : nhwc ? ImageTestData.ToNhwc(residual, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth) : residual);
        // The device converts the input, so the conversion kernel is covered too; the output comes back on the host.
        ImageLayoutConversion.Convert(Accelerator, inputBuffer.View, TensorLayout.RowMajor, inputInLayout.View, layout, shape.Batch, shape.InChannels, shape.Height, shape.Width);
        conv.Forward(inputInLayout.View, output.View, layout, residualBuffer.View, path);
        float[] result = output.ToArray();
        return nhwc ? ImageTestData.ToNchw(result, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth) : result;
    }
}

/// <summary>The SIMD path at each vector width on random geometries that cross its register
/// blocks (widths not a multiple of 4 or 6 pixels, channels not a multiple of the vector).</summary>
[NonParallelizable]
public sealed class Conv2dCpuSimdTests
{
    private Accelerator accelerator = null!;

    [OneTimeSetUp]
    public void Open() => accelerator = Devices.Open("cpu");

    [OneTimeTearDown]
    public void Close()
    {
        Conv2dCpuNhwc.ForcedWidth = CpuVectorWidth.Auto;
        accelerator.Dispose();
    }

    private static readonly (int N, int C, int H, int W, int O, int K, int Dilation, int Stride)[] Geometries =
    [
        (1, 24, 13, 17, 24, 3, 1, 1), (2, 5, 9, 11, 17, 3, 2, 1), (1, 64, 7, 10, 64, 3, 1, 1), (1, 24, 6, 7, 24, 3, 32, 1),
        (1, 8, 11, 9, 3, 2, 1, 2), (1, 3, 14, 13, 24, 3, 3, 1), (1, 24, 1, 1, 24, 3, 1, 1),
        // One to three output channels over whole vectors of input channels: the dot-product kernels.
        (1, 64, 9, 13, 1, 3, 1, 1), (2, 32, 7, 11, 3, 3, 2, 1), (1, 16, 6, 9, 2, 3, 1, 2), (1, 32, 5, 17, 1, 1, 1, 1),
    ];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (string width in new[] { "Avx2", "Avx512" })
        {
            foreach (var g in Geometries)
            {
                yield return new TestCaseData(width, Conv2dPath.CpuSimd, g.N, g.C, g.H, g.W, g.O, g.K, g.Dilation, g.Stride);
                if (g.K != 3 || g.Stride != 1)
                    continue;
                yield return new TestCaseData(width, Conv2dPath.CpuWinograd, g.N, g.C, g.H, g.W, g.O, g.K, g.Dilation, g.Stride);
                yield return new TestCaseData(width, Conv2dPath.CpuWinograd4x4, g.N, g.C, g.H, g.W, g.O, g.K, g.Dilation, g.Stride);
            }
        }
    }

    // The documented rule: F(4×4, 3×3) for 3×3 stride-1 layers of at least 8 input and output
    // channels in NHWC, the direct SIMD path for the rest, the portable kernel for NCHW.
    [TestCase(24, 24, 3, 1, 4, Conv2dPath.CpuWinograd4x4)]
    [TestCase(8, 64, 3, 1, 1, Conv2dPath.CpuWinograd4x4)]
    [TestCase(3, 24, 3, 1, 1, Conv2dPath.CpuSimd)]
    [TestCase(64, 1, 3, 1, 1, Conv2dPath.CpuSimd)]
    [TestCase(24, 24, 3, 2, 1, Conv2dPath.CpuSimd)]
    [TestCase(24, 24, 5, 1, 1, Conv2dPath.CpuSimd)]
    public void AutoPicksWinogradForWideThreeByThreeStrideOneLayers(int c, int o, int k, int stride, int dilation, Conv2dPath expected)
    {
        Conv2dCpuNhwc.ForcedWidth = CpuVectorWidth.Auto;
        if (Conv2dCpuNhwc.ActiveWidth is null)
            Assert.Ignore("this processor has neither AVX2 nor AVX-512");
        var shape = new Conv2dShape(1, c, 16, 16, o, k, k, stride, dilation, Padding2d.Symmetric(dilation * (k / 2)));
        using var conv = new Conv2d(accelerator, shape, new float[shape.WeightLength]);
        Assert.That(conv.AutoPath(TensorLayout.Nhwc), Is.EqualTo(expected));
        Assert.That(conv.AutoPath(TensorLayout.RowMajor), Is.EqualTo(Conv2dPath.Direct));
    }

    [TestCaseSource(nameof(Cases))]
    public void WidthMatchesTheReference(string widthName, Conv2dPath path, int n, int c, int h, int w, int o, int k, int dilation, int stride)
    {
        var width = Enum.Parse<CpuVectorWidth>(widthName);
        Conv2dCpuNhwc.ForcedWidth = width;
        if (Conv2dCpuNhwc.ActiveWidth != width)
            Assert.Ignore($"this processor has no {width}");
        var shape = new Conv2dShape(n, c, h, w, o, k, k, stride, dilation, new Padding2d(dilation, dilation - 1 + k % 2, dilation, dilation));
        float[] input = ImageTestData.Random(shape.InputLength, 1), weights = ImageTestData.Random(shape.WeightLength, 2, -0.3f, 0.3f);
        float[] residual = ImageTestData.Random(shape.OutputLength, 3);
        var epilogue = new Conv2dEpilogue(ImageTestData.Random(o, 4), ImageTestData.Random(o, 5, 0.5f, 2f), ImageTestData.Random(o, 6), Activation.Leaky(0.2f));
        float[] expected = Conv2dReference.Forward(shape, input, weights, epilogue, residual);
        using var conv = new Conv2d(accelerator, shape, weights, epilogue);
        using var inputBuffer = accelerator.Allocate<float>(ImageTestData.ToNhwc(input, n, c, h, w));
        using var residualBuffer = accelerator.Allocate<float>(ImageTestData.ToNhwc(residual, n, o, shape.OutHeight, shape.OutWidth));
        using var output = accelerator.Allocate<float>(shape.OutputLength);
        conv.Forward(inputBuffer.View, output.View, TensorLayout.Nhwc, residualBuffer.View, path);
        float[] actual = ImageTestData.ToNchw(output.ToArray(), n, o, shape.OutHeight, shape.OutWidth);
        var (absolute, relative) = ConvFixtures.Tolerance(path);
        ImageTestData.AssertClose(expected, actual, absolute, relative, $"{width} {path} {shape}");
    }
}
