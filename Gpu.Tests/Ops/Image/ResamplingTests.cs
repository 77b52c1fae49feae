using Gpu.Core;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Tests.Ops.Image;

/// <summary>Max pooling and bicubic resizing against PyTorch, in both layouts, and their plain references.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class ResamplingTests(string deviceName) : DeviceTest(deviceName)
{
    private static readonly string[] PoolCases = ["crnn_2x2_s21_p01", "k3x2_s23_p11_batch2", "square_2x2"];
    private static readonly string[] ResizeCases = ["up_non_integer", "down", "from_1x1", "up_x2"];

    private static MaxPool2dShape PoolShape(string name)
    {
        var fixture = ImageTestData.Load("max_pool");
        int[] s = fixture.ShapeOf($"{name}/input");
        var geometry = fixture.Geometry(name);
        int[] kernel = [.. geometry.GetProperty("kernel").EnumerateArray().Select(e => e.GetInt32())];
        int[] stride = [.. geometry.GetProperty("stride").EnumerateArray().Select(e => e.GetInt32())];
        int[] padding = [.. geometry.GetProperty("padding").EnumerateArray().Select(e => e.GetInt32())];
        return new MaxPool2dShape(s[0], s[1], s[2], s[3], kernel[0], kernel[1], stride[0], stride[1], Padding2d.Of(padding[0], padding[1]));
    }

    [TestCaseSource(nameof(PoolCases))]
    public void MaxPoolReferenceMatchesPyTorch(string name)
    {
        var fixture = ImageTestData.Load("max_pool");
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), MaxPool2d.Reference(PoolShape(name), fixture.Get($"{name}/input")), 0f, 0f, name);
    }

    [Test]
    public void MaxPoolPropagatesNaNAndRejectsOversizedPadding([Values] bool portable)
    {
        IgnoreUnlessPathExists(portable);
        var shape = new MaxPool2dShape(1, 1, 2, 2, 2, 2, 2, 2, default);
        float[] expected = MaxPool2d.Reference(shape, [1f, float.NaN, 3f, 2f]);
        Assert.That(float.IsNaN(expected[0]), Is.True, "reference");
        using var input = Accelerator.Allocate<float>([1f, float.NaN, 3f, 2f]);
        using var output = Accelerator.Allocate<float>(1);
        MaxPool2d.Forward(Accelerator, shape, input.View, output.View, preferPortableKernel: portable);
        Assert.That(float.IsNaN(output.ToArray()[0]), Is.True, "kernel");

        Assert.That(() => new MaxPool2dShape(1, 1, 4, 4, 2, 2, 1, 1, Padding2d.Symmetric(2)).Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void MaxPoolMatchesPyTorch([ValueSource(nameof(PoolCases))] string name, [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        var fixture = ImageTestData.Load("max_pool");
        var shape = PoolShape(name);
        float[] actual = RunInLayout(fixture.Get($"{name}/input"), layout, shape.Batch, shape.Channels, shape.Height, shape.Width, shape.OutHeight, shape.OutWidth,
            (input, output) => MaxPool2d.Forward(Accelerator, shape, input, output, layout));
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), actual, 0f, 0f, $"{name} {layout}");

    }

    /// <summary>Geometries the fixtures lack: widths that are no multiple of a vector (one vector
    /// and a tail at stride 2), 1×1 images, kernels larger than the image with padding, strides of
    /// 3, asymmetric padding, channel counts of a vector and a tail in NHWC, batches.</summary>
    private static readonly MaxPool2dShape[] PoolShapes =
    [
        new(2, 3, 17, 23, 2, 2, 2, 2, default),
        new(1, 5, 19, 37, 3, 3, 1, 1, Padding2d.Symmetric(1)),
        new(1, 2, 6, 67, 3, 3, 2, 2, Padding2d.Symmetric(1)),
        new(2, 9, 13, 41, 3, 2, 2, 3, Padding2d.Of(1, 1)),
        new(1, 16, 8, 26, 2, 2, 2, 1, Padding2d.Of(0, 1)),
        new(1, 2, 1, 1, 1, 1, 1, 1, default),
        new(1, 3, 1, 1, 3, 3, 1, 1, Padding2d.Symmetric(1)),
        new(2, 4, 3, 5, 5, 7, 1, 2, Padding2d.Of(2, 3)),
        new(1, 3, 9, 10, 4, 3, 3, 2, new Padding2d(2, 0, 1, 0)),
        // The windows OpenCL CPU runtimes pool by rows: no interior column (width 1 and 2), padding on
        // one side only, padded halving pools on odd sizes, a long unpadded row.
        new(1, 2, 5, 2, 3, 3, 1, 1, Padding2d.Symmetric(1)),
        new(1, 3, 7, 9, 3, 3, 1, 1, new Padding2d(0, 1, 1, 0)),
        new(2, 2, 11, 13, 2, 2, 2, 2, Padding2d.Symmetric(1)),
        new(1, 4, 5, 1, 2, 2, 2, 1, Padding2d.Of(0, 1)),
        new(1, 2, 4, 40, 3, 3, 1, 1, default),
    ];

    /// <summary>Shapes of each row kernel's window: borders on every side or none, and images
    /// narrower or shorter than the window.</summary>
    private static IEnumerable<MaxPool2dShape> RowShapes(int kernelHeight, int kernelWidth, int strideY, int strideX)
        => from size in new[] { (2, 3, 7, 9), (1, 2, 3, 1), (1, 1, 2, 20), (1, 5, 1, 33) }
           from padding in new[] { Padding2d.Symmetric(0), Padding2d.Symmetric(1), new Padding2d(1, 0, 0, 1) }
           let shape = new MaxPool2dShape(size.Item1, size.Item2, size.Item3, size.Item4, kernelHeight, kernelWidth, strideY, strideX, padding)
           where Valid(shape)
           select shape;

    private static bool Valid(MaxPool2dShape shape)
    {
        try
        {
            shape.Validate();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>The row kernels (the schedule of OpenCL CPU runtimes) launched directly, so every
    /// device runs them: each window type against the per-element kernel, bit for bit, NaN included.</summary>
    [Test]
    public void PoolRowKernelsGiveThePerElementKernelsFloats([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        AssertRowsMatch<PoolWindow2x2Stride2>(RowShapes(2, 2, 2, 2), layout);
        AssertRowsMatch<PoolWindow2x2Stride2x1>(RowShapes(2, 2, 2, 1), layout);
        AssertRowsMatch<PoolWindow3x3Stride1>(RowShapes(3, 3, 1, 1), layout);
    }

    private void AssertRowsMatch<TWindow>(IEnumerable<MaxPool2dShape> shapes, TensorLayout layout) where TWindow : struct, IPoolWindow
    {
        int count = 0;
        foreach (var shape in shapes)
        {
            float[] data = ImageTestData.Random(shape.InputLength, seed: shape.Height * 31 + shape.Width);
            for (int i = 3; i < data.Length; i += 29)
                data[i] = float.NaN;
            using var input = Accelerator.Allocate<float>(data);
            using var expected = Accelerator.Allocate<float>(shape.OutputLength);
            using var actual = Accelerator.Allocate<float>(shape.OutputLength);
            Accelerator.Launch(shape.OutWidth, shape.OutHeight, shape.Batch * shape.Channels, MaxPool2dKernel.For(shape, input.View, expected.View, layout));
            Accelerator.Launch(shape.OutHeight, shape.Batch * shape.Channels, MaxPool2dRowKernel<TWindow>.For(shape, input.View, actual.View, layout));
            ImageTestData.AssertClose(expected.ToArray(), actual.ToArray(), 0f, 0f, $"{typeof(TWindow).Name} {shape} {layout}");
            count++;
        }
        Assert.That(count, Is.GreaterThanOrEqualTo(6), $"{typeof(TWindow).Name}: valid shapes");
    }

    [Test]
    public void PoolRowKernelRefusesAnotherWindow()
        => Assert.That(() => MaxPool2dRowKernel<PoolWindow3x3Stride1>.For(new MaxPool2dShape(1, 1, 4, 4, 2, 2, 2, 2, default), default, default, TensorLayout.RowMajor),
            Throws.ArgumentException.With.Message.Contains(nameof(PoolWindow3x3Stride1)));

    [Test]
    public void MaxPoolMatchesTheReference([ValueSource(nameof(PoolShapes))] MaxPool2dShape shape,
        [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout, [Values] bool portable)
    {
        IgnoreUnlessPathExists(portable);
        float[] input = ImageTestData.Random(shape.InputLength, seed: shape.Height * 31 + shape.Width);
        for (int i = 5; i < input.Length; i += 37)
            input[i] = float.NaN;
        float[] actual = RunInLayout(input, layout, shape.Batch, shape.Channels, shape.Height, shape.Width, shape.OutHeight, shape.OutWidth,
            (source, result) => MaxPool2d.Forward(Accelerator, shape, source, result, layout, portable));
        ImageTestData.AssertClose(MaxPool2d.Reference(shape, input), actual, 0f, 0f, $"{shape} {layout}");
    }

    /// <summary>PyTorch and we compute the same float expressions in slightly different orders.</summary>
    private const float ResizeTolerance = 2e-6f;

    [TestCaseSource(nameof(ResizeCases))]
    public void BicubicReferenceMatchesPyTorch(string name)
    {
        var fixture = ImageTestData.Load("bicubic");
        int[] i = fixture.ShapeOf($"{name}/input"), o = fixture.ShapeOf($"{name}/output");
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), BicubicResize.Reference(fixture.Get($"{name}/input"), i[0] * i[1], i[2], i[3], o[2], o[3]),
            ResizeTolerance, ResizeTolerance, name);
    }

    [Test]
    public void BicubicMatchesPyTorch([ValueSource(nameof(ResizeCases))] string name, [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        var fixture = ImageTestData.Load("bicubic");
        int[] i = fixture.ShapeOf($"{name}/input"), o = fixture.ShapeOf($"{name}/output");
        float[] actual = RunInLayout(fixture.Get($"{name}/input"), layout, i[0], i[1], i[2], i[3], o[2], o[3],
            (input, output) => BicubicResize.Forward(Accelerator, input, output, layout, i[0], i[1], i[2], i[3], o[2], o[3]));
        ImageTestData.AssertClose(fixture.Get($"{name}/output"), actual, ResizeTolerance, ResizeTolerance, $"{name} {layout}");

    }

    /// <summary>(N, C, H, W, H', W'): from and to 1×1, up and down by non-integer factors, up one
    /// way and down the other (both ways round), the same size, batches, channel counts of a vector and a tail in NHWC,
    /// images narrower than the four taps (every tap clamped), odd sizes doubled and halved.</summary>
    private static readonly int[][] ResizeShapes =
    [
        [1, 1, 1, 1, 3, 5],
        [1, 1, 6, 8, 1, 1],
        [2, 3, 7, 11, 17, 29],
        [1, 5, 23, 37, 9, 14],
        [1, 9, 13, 19, 29, 7],
        [3, 2, 5, 40, 5, 40],
        [2, 10, 31, 6, 12, 17],
        [1, 2, 2, 3, 3, 2],
        [2, 3, 3, 1, 1, 7],
        [1, 3, 9, 15, 4, 7],
        [1, 1, 11, 13, 22, 26],
        [1, 4, 10, 14, 5, 7],
    ];

    [Test]
    public void BicubicMatchesTheReference([ValueSource(nameof(ResizeShapes))] int[] shape,
        [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout, [Values] bool portable)
    {
        IgnoreUnlessPathExists(portable);
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3], outHeight = shape[4], outWidth = shape[5];
        float[] input = ImageTestData.Random((long)n * c * h * w, seed: h * 31 + w);
        float[] actual = RunInLayout(input, layout, n, c, h, w, outHeight, outWidth,
            (source, result) => BicubicResize.Forward(Accelerator, source, result, layout, n, c, h, w, outHeight, outWidth, portable));
        ImageTestData.AssertClose(BicubicResize.Reference(input, n * c, h, w, outHeight, outWidth), actual, ResizeTolerance, ResizeTolerance,
            $"{string.Join('×', shape)} {layout}");
    }

    /// <summary>Where the image does not shrink vertically, the CPU path adds the same products in
    /// the same order as the portable kernel.</summary>
    [Test]
    public void BicubicCpuPathGivesThePortableKernelsFloats([ValueSource(nameof(ResizeShapes))] int[] shape,
        [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        IgnoreUnlessPathExists(portable: false);
        if (shape[4] < shape[2])
            Assert.Ignore("a shrinking image sums its rows first on the CPU, which rounds differently; BicubicMatchesTheReference bounds it");
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3], outHeight = shape[4], outWidth = shape[5];
        float[] input = ImageTestData.Random((long)n * c * h * w, seed: h * 31 + w);
        float[] Run(bool portable) => RunInLayout(input, layout, n, c, h, w, outHeight, outWidth,
            (source, result) => BicubicResize.Forward(Accelerator, source, result, layout, n, c, h, w, outHeight, outWidth, portable));
        ImageTestData.AssertClose(Run(portable: true), Run(portable: false), 0f, 0f, $"{string.Join('×', shape)} {layout}");
    }

    /// <summary>The two-pass kernels (the schedule of devices that prefer barrier-free ones) launched
    /// directly on every device. Where the image does not shrink vertically they add the one-pass
    /// kernel's products in its order, so they give its floats; where it shrinks they sum rows first
    /// (as the CPU path does) and are held to the reference's tolerance.</summary>
    [Test]
    public void BicubicTwoPassKernelsGiveTheOnePassKernelsFloatsUnlessShrinking([ValueSource(nameof(ResizeShapes))] int[] shape,
        [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        int n = shape[0], c = shape[1], h = shape[2], w = shape[3], outHeight = shape[4], outWidth = shape[5];
        float[] input = ImageTestData.Random((long)n * c * h * w, seed: h * 31 + w);
        float[] twoPass = RunInLayout(input, layout, n, c, h, w, outHeight, outWidth,
            (source, result) => BicubicResizeSeparable.Forward(Accelerator, source, result, layout, n, c, h, w, outHeight, outWidth));
        string what = $"{string.Join('×', shape)} {layout}";
        if (outHeight < h)
        {
            ImageTestData.AssertClose(BicubicResize.Reference(input, n * c, h, w, outHeight, outWidth), twoPass, ResizeTolerance, ResizeTolerance, what);
            return;
        }
        float[] onePass = RunInLayout(input, layout, n, c, h, w, outHeight, outWidth, (source, result) => Accelerator.Launch(outWidth, outHeight, n * c,
            BicubicResizeKernel.For(source, result, layout, c, h, w, outHeight, outWidth)));
        ImageTestData.AssertClose(onePass, twoPass, 0f, 0f, what);
    }

    /// <summary>The two-pass kernels keep their tables and reuse pooled intermediates between calls and
    /// wait for nothing: two shapes alternating, one shape twice in a row, a batch whose images share
    /// the intermediate, and more shapes than are kept (evicting tables under launches still queued),
    /// every call queued before any result is read and each on inputs of its own, against the reference.</summary>
    [Test]
    public void BicubicTwoPassCallsQueuedBackToBackMatchTheReference([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        // A batch scaled up (horizontal pass first) and an image shrinking vertically (vertical pass first).
        int[] up = ResizeShapes[2], down = ResizeShapes[3];
        int[][] calls = [up, down, up, up, down, down, .. ResizeShapes.Take(BicubicPlans.Capacity + 1), up, down];
        bool nhwc = layout == TensorLayout.Nhwc;
        var inputs = new float[calls.Length][];
        var sources = new DeviceBuffer<float>[calls.Length];
        var results = new DeviceBuffer<float>[calls.Length];
        try
        {
            // Uploads and allocations first: a copy to the device waits for the launches queued before it.
            for (int i = 0; i < calls.Length; i++)
            {
                int[] s = calls[i];
                inputs[i] = ImageTestData.Random((long)s[0] * s[1] * s[2] * s[3], seed: 100 + i);
                sources[i] = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(inputs[i], s[0], s[1], s[2], s[3]) : inputs[i]);
                results[i] = Accelerator.Allocate<float>((long)s[0] * s[1] * s[4] * s[5]);
            }
            for (int i = 0; i < calls.Length; i++)
            {
                int[] s = calls[i];
                BicubicResizeSeparable.Forward(Accelerator, sources[i].View, results[i].View, layout, s[0], s[1], s[2], s[3], s[4], s[5]);
            }
            for (int i = 0; i < calls.Length; i++)
            {
                int[] s = calls[i];
                float[] result = results[i].ToArray();
                ImageTestData.AssertClose(BicubicResize.Reference(inputs[i], s[0] * s[1], s[2], s[3], s[4], s[5]),
                    nhwc ? ImageTestData.ToNchw(result, s[0], s[1], s[4], s[5]) : result, ResizeTolerance, ResizeTolerance,
                    $"call {i}: {string.Join('×', s)} {layout}");
            }
        }
        finally
        {
            foreach (var buffer in sources.Concat(results))
                buffer?.Dispose();
        }
    }

    /// <summary>Plans kept for an accelerator that is then disposed neither break later calls on
    /// another accelerator of the device nor turn a call on the disposed one into anything but
    /// <see cref="ObjectDisposedException"/>.</summary>
    [Test]
    public void BicubicTwoPassOutlivesADisposedAccelerator()
    {
        int[] s = ResizeShapes[2];
        float[] input = ImageTestData.Random((long)s[0] * s[1] * s[2] * s[3], seed: 7);
        float[] expected = BicubicResize.Reference(input, s[0] * s[1], s[2], s[3], s[4], s[5]);
        float[] Run(Accelerator accelerator, DeviceBuffer<float> source, DeviceBuffer<float> result)
        {
            BicubicResizeSeparable.Forward(accelerator, source.View, result.View, TensorLayout.RowMajor, s[0], s[1], s[2], s[3], s[4], s[5]);
            return result.ToArray();
        }

        var first = OpenAccelerator();
        var staleSource = first.Allocate<float>(input);
        var staleResult = first.Allocate<float>(expected.Length);
        ImageTestData.AssertClose(expected, Run(first, staleSource, staleResult), ResizeTolerance, ResizeTolerance, "first accelerator");
        first.Dispose();
        Assert.That(() => BicubicResize.Forward(first, staleSource.View, staleResult.View, TensorLayout.RowMajor, s[0], s[1], s[2], s[3], s[4], s[5]),
            Throws.InstanceOf<ObjectDisposedException>());
        using var second = OpenAccelerator();
        using var source = second.Allocate<float>(input);
        using var result = second.Allocate<float>(expected.Length);
        ImageTestData.AssertClose(expected, Run(second, source, result), ResizeTolerance, ResizeTolerance, "second accelerator");
    }

    [Test]
    public void BicubicRejectsWrongLengths()
    {
        using var input = Accelerator.Allocate<float>(12);
        using var output = Accelerator.Allocate<float>(10);
        Assert.That(() => BicubicResize.Forward(Accelerator, input.View, output.View, TensorLayout.RowMajor, 1, 1, 3, 4, 3, 3), Throws.ArgumentException);
    }

    /// <summary>Elsewhere than on the CPU the portable kernel is the only path: run it once, not twice.</summary>
    private void IgnoreUnlessPathExists(bool portable)
    {
        if (!portable && !Accelerator.IsHostAddressable())
            Assert.Ignore("the fast path is the CPU accelerator's; elsewhere the device's one schedule runs either way");
    }

    private float[] RunInLayout(float[] nchw, TensorLayout layout, int n, int c, int h, int w, int outHeight, int outWidth, Action<ArrayView<float>, ArrayView<float>> run)
    {
        bool nhwc = layout == TensorLayout.Nhwc;
        using var input = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(nchw, n, c, h, w) : nchw);
        using var output = Accelerator.Allocate<float>((long)n * c * outHeight * outWidth);
        run(input.View, output.View);
        float[] result = output.ToArray();
        return nhwc ? ImageTestData.ToNchw(result, n, c, outHeight, outWidth) : result;
    }
}
