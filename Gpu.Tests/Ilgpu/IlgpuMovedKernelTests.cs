using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using Gpu.Tests.Ops.Gemm;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Ilgpu;

/// <summary>(a) of issue 12 for the portable and register-blocked convolutions, channel affine, sparse and im2col kernels: on the
/// CPU engines their ops take SIMD paths, so each kernel is launched here on ILGPU's CPU accelerator
/// (directly, or through its op's portable path) and compared with an independent reference (PyTorch's
/// convolution fixtures, the double-accumulating GEMM reference, the CPU engine's host im2col). The simple
/// GEMM kernel runs there in <see cref="Ops.Gemm.SimpleGemmKernelTests"/>.</summary>
[NonParallelizable]
public sealed class IlgpuMovedKernelTests : IlgpuCpuTest
{
    [Test]
    public void TheKernelsMovedHereAreWrittenWithIlgpuViews()
        => Assert.Multiple(() =>
        {
            Assert.That(IlgpuKernels.Ops, Is.SupersetOf(new[]
            {
                typeof(ChannelAffineKernel), typeof(Conv2dDirectKernel), typeof(Conv2dRegisterBlockedKernel<LeakyReluFunction>), typeof(Conv2dRegisterBlockedKernel<SigmoidFunction>), typeof(SimpleGemmKernel), typeof(Im2ColKernel),
                typeof(CsrGemmKernel), typeof(BlockSparseGemmKernel), typeof(CsrRowSegmentKernel), typeof(BlockSparseRowSegmentKernel),
            }));
            Assert.That(IlgpuKernels.All.Select(t => t.Name), Is.SupersetOf(new[]
            {
                "DoubleArithmeticKernel", "RemainderKernel", "ExpLogKernel", "PowKernel", "TrigKernel", "DoubleTranscendentalKernel",
            }));
        });

    [TestCaseSource(typeof(ConvFixtures), nameof(ConvFixtures.Cases))]
    public void PortableAndRegisterBlockedConvolutionsMatchPyTorch(string name)
    {
        var (shape, input, weights, epilogue, residual, expected) = ConvFixtures.Load(name);
        foreach (var (path, layout) in new[] { (Conv2dPath.Direct, TensorLayout.RowMajor), (Conv2dPath.Direct, TensorLayout.Nhwc), (Conv2dPath.RegisterBlocked, TensorLayout.RowMajor) })
        {
            bool nhwc = layout == TensorLayout.Nhwc;
            using var conv = new Conv2d(Accelerator, shape, weights, epilogue);
            using var inputBuffer = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(input, shape.Batch, shape.InChannels, shape.Height, shape.Width) : input);
            using var output = Accelerator.Allocate<float>(shape.OutputLength);
            using var residualBuffer = Accelerator.Allocate<float>(residual is null ? [] : nhwc ? ImageTestData.ToNhwc(residual, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth) : residual);
            conv.Forward(inputBuffer.View, output.View, layout, residualBuffer.View, path);
            float[] result = output.ToArray();
            ImageTestData.AssertClose(expected, nhwc ? ImageTestData.ToNchw(result, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth) : result,
                ConvFixtures.Absolute, ConvFixtures.Relative, $"{name} {path} {layout}");
        }
    }

    [TestCase(TensorLayout.RowMajor, ActivationKind.LeakyRelu, false)]
    [TestCase(TensorLayout.Nhwc, ActivationKind.Relu, true)]
    [TestCase(TensorLayout.RowMajor, ActivationKind.Sigmoid, true)]
    public void ChannelAffineKernelMatchesTheHost(TensorLayout layout, ActivationKind kind, bool inPlace)
    {
        const int n = 2, c = 3, h = 5, w = 7;
        float[] scale = ImageTestData.Random(c, 12, -2f, 2f), shift = ImageTestData.Random(c, 13, -1f, 1f);
        float[] input = ImageTestData.RandomWithSpecials(n * c * h * w, 14);
        var activation = new Activation(kind, -1.5f);
        var strides = ImageStrides.Of(layout, c, h, w);
        int ChannelOf(int i) => layout == TensorLayout.Nhwc ? i % c : i / (h * w) % c;
        float[] expected = [.. input.Select((x, i) => activation.Apply(x * scale[ChannelOf(i)] + shift[ChannelOf(i)]))];
        using var source = Accelerator.Allocate<float>(input);
        using var result = Accelerator.Allocate<float>(input.Length);
        using var scales = Accelerator.Allocate<float>(scale);
        using var shifts = Accelerator.Allocate<float>(shift);
        var target = inPlace ? source : result;
        ChannelAffineKernel.Launch(Accelerator, source.View, target.View, scales.View, shifts.View, strides, c, activation, preferPortableKernel: true);
        ImageTestData.AssertActivated(expected, target.ToArray(), kind, $"{layout} {activation}");
    }

    [Test]
    public void ChannelAffineOnIlgpuViewsRefusesAPartialOverlapAndAForeignView()
    {
        using var data = Accelerator.Allocate<float>(12);
        using var scales = Accelerator.Allocate<float>(2);
        using var cpu = Devices.Open("cpu");
        using var foreign = cpu.Allocate<float>(2);
        var kernel = new ChannelAffineKernel
        {
            Input = data.View.SubView(0, 8), Output = data.View.SubView(4, 8), Scale = scales.View, Shift = scales.View, ChannelDivisor = 4, Channels = 2,
        };
        Assert.Multiple(() =>
        {
            Assert.That(() => ChannelAffineKernel.Launch(Accelerator, kernel), Throws.ArgumentException.With.Message.Contains("partly overlaps"));
            Assert.That(() => ChannelAffineKernel.Launch(Accelerator, kernel with { Output = data.View.SubView(0, 8), Shift = foreign.View }),
                Throws.ArgumentException.With.Message.Contains("another accelerator"));
        });
    }

    [TestCase(SparseGemmTests.Format.Csr, 1, SparseGemmTests.Schedule.Portable)]
    [TestCase(SparseGemmTests.Format.Csr, 5, SparseGemmTests.Schedule.Portable)]
    [TestCase(SparseGemmTests.Format.Block, 1, SparseGemmTests.Schedule.Portable)]
    [TestCase(SparseGemmTests.Format.Block, 5, SparseGemmTests.Schedule.Portable)]
    [TestCase(SparseGemmTests.Format.Csr, 16, SparseGemmTests.Schedule.RowSegments)]
    [TestCase(SparseGemmTests.Format.Csr, 21, SparseGemmTests.Schedule.RowSegments)]
    [TestCase(SparseGemmTests.Format.Block, 16, SparseGemmTests.Schedule.RowSegments)]
    [TestCase(SparseGemmTests.Format.Block, 21, SparseGemmTests.Schedule.RowSegments)]
    public void SparseKernelMatchesTheMaskedDenseReference(SparseGemmTests.Format format, int n, SparseGemmTests.Schedule schedule)
    {
        const int m = 13, k = 37;
        float[] dense = GemmTestData.Random(m * k, 11);
        bool[] keep = SparseGemmTests.MaskOf(m * k, 0.7, 12);
        float[] xHost = GemmTestData.Random(k * n, 13), biasHost = GemmTestData.Random(m, 14);
        float[] expected = SparseGemmTests.MaskedReference(dense, keep, m, k, xHost, n, biasHost, Activation.Leaky(0.2f));
        GemmTestData.AssertClose(expected, SparseGemmTests.Product(Accelerator, format, schedule, dense, keep, m, k, xHost, n, biasHost, Activation.Leaky(0.2f)), k);
    }

    [TestCase(SparseGemmTests.Format.Csr)]
    [TestCase(SparseGemmTests.Format.Block)]
    public void SparseKernelsAccumulateExactlyIntoThePreviousOutput(SparseGemmTests.Format format)
    {
        const int m = 13, k = 37, n = 5;
        float[] dense = GemmTestData.Random(m * k, 15);
        bool[] keep = SparseGemmTests.MaskOf(m * k, 0.7, 16);
        using var x = Accelerator.Allocate<float>(GemmTestData.Random(k * n, 17));
        using var csr = CsrMatrix.FromDense(Accelerator, dense, m, k, keep);
        using var block = BlockSparseMatrix.FromDense(Accelerator, dense, m, k, keep);
        ProductOutputChecks.AccumulatingAddsExactlyToTheOverwrittenProduct(Accelerator, m * n, (y, output) =>
        {
            var epilogue = RowEpilogue.Create(default, default, Activation.None, output);
            if (format == SparseGemmTests.Format.Csr)
                Accelerator.Launch(n, m, new CsrGemmKernel { RowPointers = csr.RowPointers.View, ColumnIndices = csr.ColumnIndices.View, Values = csr.Values.View, X = x.View, Y = y, N = n, Epilogue = epilogue });
            else
                Accelerator.Launch(n, m, new BlockSparseGemmKernel { BlockPointers = block.BlockPointers.View, BlockColumns = block.BlockColumns.View, Values = block.Values.View, X = x.View, Y = y, N = n, K = k, Epilogue = epilogue });
        });
    }

    [Test]
    public void Im2ColKernelMatchesTheHostUnfold()
    {
        var geometry = new ConvGeometry(Channels: 3, Height: 9, Width: 11, KernelHeight: 3, KernelWidth: 3, Stride: 2, Padding: 2, Dilation: 2);
        float[] image = GemmTestData.Random(3 * 9 * 11, 23);
        using var cpu = Devices.Open("cpu");
        using var hostImage = cpu.Allocate<float>(image);
        using var hostColumns = cpu.Allocate<float>((long)geometry.PatchLength * geometry.OutputPositions);
        Im2Col.Unfold(cpu, geometry, hostImage.View, hostColumns.View);
        using var imageBuffer = Accelerator.Allocate<float>(image);
        using var columns = Accelerator.Allocate<float>((long)geometry.PatchLength * geometry.OutputPositions);
        Accelerator.Launch(geometry.OutputPositions, geometry.PatchLength, Im2ColKernel.For(geometry, imageBuffer.View, columns.View));
        Assert.That(columns.ToArray(), Is.EqualTo(hostColumns.ToArray()));
    }
}
