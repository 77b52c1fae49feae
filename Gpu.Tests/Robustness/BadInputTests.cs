using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using Gpu.Ops.Sequence;
using Gpu.Tests.Ops.Image;
using ILGPU;

namespace Gpu.Tests.Robustness;

/// <summary>Issue 18's inputs that used to give wrong numbers silently or a bare exception, on every
/// device: each now gives a typed exception naming the argument and its limit, or the right result.</summary>
public sealed class BadInputTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Every convolution path this device runs, with its layout. The tiled kernel runs on the
    /// translated devices only: the CPU runs grouped kernels on ILGPU's CPU accelerator, an emulator, and two
    /// barriers per input channel make 8 channels take seconds there (Conv2dTests covers it on the CPU).</summary>
    private (Conv2dPath Path, TensorLayout Layout)[] ConvPaths() => Accelerator.IsHostAddressable()
        ? [(Conv2dPath.Direct, TensorLayout.RowMajor), (Conv2dPath.Direct, TensorLayout.Nhwc),
           (Conv2dPath.CpuSimd, TensorLayout.Nhwc), (Conv2dPath.CpuWinograd, TensorLayout.Nhwc), (Conv2dPath.CpuWinograd4x4, TensorLayout.Nhwc),
           (Conv2dPath.Auto, TensorLayout.Nhwc)]
        : [(Conv2dPath.Direct, TensorLayout.RowMajor), (Conv2dPath.Direct, TensorLayout.Nhwc), (Conv2dPath.Tiled, TensorLayout.RowMajor),
           (Conv2dPath.RegisterBlocked, TensorLayout.RowMajor), (Conv2dPath.Auto, TensorLayout.Nhwc)];

    private float[] RunConv(Conv2dShape shape, float[] nchwInput, float[] weights, Conv2dEpilogue epilogue, Conv2dPath path, TensorLayout layout)
    {
        using var conv = new Conv2d(Accelerator, shape, weights, epilogue);
        float[] input = layout == TensorLayout.Nhwc ? ImageTestData.ToNhwc(nchwInput, shape.Batch, shape.InChannels, shape.Height, shape.Width) : nchwInput;
        using var x = Accelerator.Allocate<float>(input);
        using var y = Accelerator.Allocate<float>(shape.OutputLength);
        conv.Forward(x.View, y.View, layout, path: path);
        float[] output = y.ToArray();
        return layout == TensorLayout.Nhwc ? ImageTestData.ToNchw(output, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth) : output;
    }

    /// <summary>One NaN and one +∞ pixel, far apart: every path puts NaN and ±∞ exactly where the
    /// reference (and PyTorch) does; Winograd used to spread them over whole tiles (144 of 2048 outputs
    /// of F(4×4) wrongly NaN) and turn ±∞ into NaN.</summary>
    [TestCase(1)]
    [TestCase(2)]
    public void NonFiniteInputsLandWhereTheDirectConvolutionPutsThem(int dilation)
    {
        var shape = Conv2dShape.Same(1, 8, 16, 16, 8, 3, dilation);
        float[] input = ImageTestData.Random(shape.InputLength, 11);
        input[(0 * 16 + 3) * 16 + 4] = float.NaN;
        input[(3 * 16 + 12) * 16 + 10] = float.PositiveInfinity;
        float[] weights = ImageTestData.Random(shape.WeightLength, 12, 0.1f, 1f);
        var epilogue = new Conv2dEpilogue(ImageTestData.Random(8, 13), null, null, Activation.None);
        float[] expected = Conv2dReference.Forward(shape, input, weights, epilogue);
        Assert.That(expected.Count(float.IsNaN), Is.GreaterThan(0), "the reference has NaN outputs");
        Assert.That(expected.Count(float.IsPositiveInfinity), Is.GreaterThan(0), "the reference has +∞ outputs");
        foreach (var (path, layout) in ConvPaths())
            ImageTestData.AssertClose(expected, RunConv(shape, input, weights, epilogue, path, layout), 1e-4f, 1e-4f, $"{path} {layout}");
    }

    /// <summary>ReLU and LeakyReLU keep NaN on every path (PyTorch's rule); the direct and tiled kernels
    /// and the reference used to turn it into 0.</summary>
    [Test]
    public void ReluKeepsNaNOnEveryPath()
    {
        Assert.That(Activation.Relu.Apply(float.NaN), Is.NaN);
        Assert.That(Activation.Leaky(0.2f).Apply(float.NaN), Is.NaN);
        var shape = Conv2dShape.Same(1, 8, 8, 8, 8, 3);
        float[] input = ImageTestData.Random(shape.InputLength, 21);
        input[(2 * 8 + 4) * 8 + 4] = float.NaN;
        float[] weights = ImageTestData.Random(shape.WeightLength, 22);
        foreach (var activation in (Activation[])[Activation.Relu, Activation.Leaky(0.2f)])
        {
            var epilogue = new Conv2dEpilogue(null, null, null, activation);
            float[] expected = Conv2dReference.Forward(shape, input, weights, epilogue);
            Assert.That(expected.Count(float.IsNaN), Is.EqualTo(8 * 9), "NaN reaches 3×3 outputs of every channel in the reference");
            foreach (var (path, layout) in ConvPaths())
                ImageTestData.AssertClose(expected, RunConv(shape, input, weights, epilogue, path, layout), 1e-4f, 1e-4f, $"{activation.Kind} {path} {layout}");
        }

        float[] values = [float.NaN, -1f, 2f, float.NegativeInfinity, float.PositiveInfinity, -0f, 3f, float.NaN, -5f];
        using var buffer = Accelerator.Allocate<float>(values);
        using var activated = Accelerator.Allocate<float>(values.Length);
        Elementwise.Activate(Accelerator, buffer.View, activated.View, Activation.Relu);
        Assert.That(activated.ToArray(), Is.EqualTo(new[] { float.NaN, 0f, 2f, 0f, float.PositiveInfinity, -0f, 3f, float.NaN, 0f }));

        var gemm = new GemmShape(1, 3, 3);
        using var a = Accelerator.Allocate<float>([1f, 1f, 1f]);
        using var b = Accelerator.Allocate<float>([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, -1f]);
        using var c = Accelerator.Allocate<float>(3);
        using var bias = Accelerator.Allocate<float>([float.NaN, 0f, 0f]);
        DenseGemm.Multiply(Accelerator, gemm, a.View, b.View, c.View, bias: bias.View, activation: Activation.Relu);
        var product = c.ToArray();
        Assert.That(product[0], Is.NaN, "ReLU(NaN) in the GEMM epilogue");
        Assert.That(product[1], Is.EqualTo(1f));
        Assert.That(product[2], Is.EqualTo(0f));
    }

    /// <summary>A convolution writing over its own input used to return errors up to 2e9; such ops refuse
    /// any overlap, and element-wise ops a partial one, as TensorPrimitives does.</summary>
    [Test]
    public void OpsThatCannotRunInPlaceRefuseOverlappingInputAndOutput()
    {
        var shape = Conv2dShape.Same(1, 8, 8, 8, 8, 3);
        using var conv = new Conv2d(Accelerator, shape, new float[shape.WeightLength]);
        using var image = Accelerator.Allocate<float>(2 * shape.InputLength);
        var first = image.View.SubView(0, (int)shape.InputLength);
        foreach (var (path, layout) in ConvPaths())
        {
            Assert.That(() => conv.Forward(first, first, layout, path: path),
                Throws.ArgumentException.With.Message.Contains("output shares memory with input").And.Property("ParamName").EqualTo("output"), $"{path} {layout}");
            Assert.That(() => conv.Forward(first, image.View.SubView(shape.InputLength / 2, (int)shape.InputLength), layout, path: path),
                Throws.ArgumentException.With.Message.Contains("cannot run in place"), $"{path} {layout}, half overlapping");
        }

        var pool = new MaxPool2dShape(1, 8, 8, 8, 2, 2, 1, 1, default);
        Assert.That(() => MaxPool2d.Forward(Accelerator, pool, image.View.SubView(0, (int)pool.InputLength), image.View.SubView(1, (int)pool.OutputLength)),
            Throws.ArgumentException.With.Message.Contains("cannot run in place"));
        var gemm = new GemmShape(8, 8, 8);
        Assert.That(() => DenseGemm.Multiply(Accelerator, gemm, image.View.SubView(0, 64), image.View.SubView(64, 64), image.View.SubView(32, 64)),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("c"));
        Assert.That(() => Elementwise.Scale(Accelerator, image.View.SubView(0, 64), image.View.SubView(1, 64), 2f),
            Throws.ArgumentException.With.Message.Contains("partly overlaps"));
        Assert.DoesNotThrow(() => Elementwise.Scale(Accelerator, image.View.SubView(0, 64), image.View.SubView(0, 64), 2f), "exactly in place is element-wise");
    }

    /// <summary>Row pointers that decrease used to give rows of zeros silently.</summary>
    [Test]
    public void CsrRowPointersThatDecreaseAreRefused()
    {
        float[] dense = [1, 0, 2, 0, 0, 3, 4, 0, 0, 0, 5, 6];
        using var w = CsrMatrix.FromDense(Accelerator, dense, 3, 4, 0f);
        using var blocks = BlockSparseMatrix.FromDense(Accelerator, dense, 3, 4, 0f);
        using var x = Accelerator.Allocate<float>(new float[8]);
        using var y = Accelerator.Allocate<float>(6);
        Assert.DoesNotThrow(() => SparseGemm.Multiply(Accelerator, w, x.View, y.View, 2), "a sound structure handed out passes its check");
        w.RowPointers.CopyFromHost([0, 4, 2, 6]);
        Assert.That(() => SparseGemm.Multiply(Accelerator, w, x.View, y.View, 2),
            Throws.ArgumentException.With.Message.Contains("RowPointers must not decrease: [1] = 4 > [2] = 2"));
        blocks.BlockColumns.CopyFromHost([3], 1);
        Assert.That(() => SparseGemm.Multiply(Accelerator, blocks, x.View, y.View, 2),
            Throws.ArgumentException.With.Message.Contains("BlockColumns[1] = 3 is not a column in [0, 4) on a multiple of 8"));
    }

    [Test]
    public void AnSruWhoseWeightsPassInt32IsRefusedBeforeAllocating()
    {
        var options = new SruOptions(70000, 70000);
        Assert.That(options.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Property("ParamName").EqualTo("HiddenSize").And.Message.Contains(int.MaxValue.ToString()));
        Assert.That(() => new Sru(Accelerator, options, new Dictionary<string, float[]>()), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(new LstmOptions(70000, 70000).Validate, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("HiddenSize"));
    }

    [Test]
    public void AnAllocationPastTheByteLimitNamesTheLengthAndTheLimit()
        => Assert.That(() => Accelerator.Allocate<float>(1L << 62), Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Property("ParamName").EqualTo("length").And.Message.Contains(long.MaxValue.ToString()));

    [Test]
    public void AViewOfMemoryNoDeviceBufferOwnsIsRefused()
    {
        var shape = Conv2dShape.Same(1, 1, 4, 4, 1, 3);
        using var conv = new Conv2d(Accelerator, shape, new float[9]);
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        Assert.That(() => conv.Forward(new ArrayView<float>(new EngineMemoryBuffer(0x1000, 16 * sizeof(float)), 0, 16), output.View),
            Throws.ArgumentException.With.Message.Contains("is not a view of a DeviceBuffer"));
    }
}

/// <summary>Shape validation that never evaluates what an invalid shape leaves undefined.</summary>
public sealed class ShapeValidationTests
{
    [Test]
    public void InvalidShapesPrintWithoutDividingByTheirStride()
    {
        var conv = new Conv2dShape(1, 1, 4, 4, 1, 3, 3, 0, 1, default);
        Assert.That(conv.ToString(), Does.Contain("Stride = 0"));
        Assert.That(conv.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Stride"));
        Assert.That(() => conv.OutHeight, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Stride"));
        var pool = new MaxPool2dShape(1, 1, 4, 4, 2, 2, 0, 1, default);
        Assert.That(pool.ToString(), Does.Contain("StrideY = 0"));
        Assert.That(pool.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("StrideY"));
        var geometry = new ConvGeometry(1, 4, 4, 3, 3, Stride: 0);
        Assert.That(geometry.ToString(), Does.Contain("Stride = 0"));
        Assert.That(geometry.Validate, Throws.ArgumentException);
    }

    [Test]
    public void PaddedExtentsPastInt32AreRefusedNamingThePadding()
        => Assert.That(new Conv2dShape(1, 1, int.MaxValue, 4, 1, 3, 3, 1, 1, Padding2d.Symmetric(1)).Validate,
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Padding").And.Message.Contains(int.MaxValue.ToString()));

    [Test]
    public void SamePaddingPastInt32IsRefusedNamingTheDilation()
        => Assert.That(() => Conv2dShape.Same(1, 1, 4, 4, 1, 5, int.MaxValue),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("dilation"));
}

/// <summary>The test filter's variable: a bad value is an error naming it, not an empty run.</summary>
public sealed class TestDeviceFilterTests
{
    [Test]
    public void AnEntryNamingNoDeviceOrKindIsAnErrorNamingTheVariable()
    {
        Assert.That(TestDevices.Filter("cpu, OpenCL", ["cpu", "opencl:0", "CPU", "OpenCL", "CUDA"]), Is.EqualTo(new[] { "cpu", "OpenCL" }));
        Assert.That(TestDevices.Filter(null, ["cpu"]), Is.Empty);
        Assert.That(() => TestDevices.Filter("cpu,garbage", ["cpu", "CPU"]), Throws.InstanceOf<InvalidEnvironmentVariableException>()
            .With.Message.Contains("GPUC_TEST_DEVICES='cpu,garbage'"));
    }
}
