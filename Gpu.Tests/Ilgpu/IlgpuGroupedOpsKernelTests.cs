using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using Gpu.Ops.Image;
using Gpu.Tests.Ops.Gemm;
using Gpu.Tests.Ops.Image;
using ILGPU;

namespace Gpu.Tests.Ilgpu;

/// <summary>(a) of issue 12 for the grouped and quantized Gpu.Ops kernels: on ILGPU's CPU accelerator
/// every op takes its host path (its memory is host memory), so the kernels are launched here directly and
/// compared with the host references and PyTorch fixtures their ops' device tests use on <c>cpu</c> and
/// <c>opencl:0</c>. The codebook and quantized kernels run in <see cref="CodebookGemmTests"/> and
/// <see cref="QuantizedGemmTests"/>, whose fixtures include ILGPU's CPU Accelerator.</summary>
[NonParallelizable]
public sealed class IlgpuGroupedOpsKernelTests : IlgpuCpuTest
{
    /// <summary>The grouped and quantized kernels moved to ILGPU's types and intrinsics.</summary>
    private static readonly Type[] Moved = [typeof(ChannelStatisticsKernel), typeof(ChannelStatisticsPartKernel), typeof(ChannelStatisticsMergeKernel), typeof(TiledGemmKernel), typeof(RegisterBlockedGemmKernel), typeof(RegisterBlockedColumnGemmKernel), typeof(DotProductGemmKernel), typeof(GemmRowPanelKernel), typeof(GemmColumnPanelKernel), typeof(WeightRowsGemmKernel), typeof(TransposedEpilogueKernel), typeof(Conv2dTiledKernel),
        typeof(CodebookGemmKernel), typeof(CodebookGemmGroupedKernel),
        typeof(QuantizedGemmKernel), typeof(QuantizedAccumulateKernel), typeof(PackedQuantizedGemmKernel), typeof(PackedQuantizedAccumulateKernel),
        typeof(PackActivationsKernel)];

    [Test]
    public void TheMovedKernelsAreWrittenWithIlgpuViews()
        => Assert.That(IlgpuKernels.Ops, Is.SupersetOf(Moved));

    /// <summary>Channels of a few pixels, more elements per channel than the group's 256 threads, and NHWC's
    /// interleaved strides.</summary>
    [TestCase(2, 3, 9, 31, TensorLayout.RowMajor)]
    [TestCase(3, 5, 1, 1, TensorLayout.RowMajor)]
    [TestCase(2, 4, 13, 11, TensorLayout.Nhwc)]
    public void ChannelStatisticsKernelMatchesTheHostReduction(int n, int c, int h, int w, TensorLayout layout)
        => AdaptiveNormalizationTests.AssertStatisticsKernelMatchesTheHost(Accelerator, n, c, h, w, layout, offset: 10f);

    /// <summary>The barrier-free schedule of the same reduction: a run longer than one block, one that fills no lane set.</summary>
    [TestCase(2, 3, 37, 41, TensorLayout.RowMajor)]
    [TestCase(2, 4, 13, 11, TensorLayout.Nhwc)]
    public void ChannelStatisticsRowKernelMatchesTheHostReduction(int n, int c, int h, int w, TensorLayout layout)
        => AdaptiveNormalizationTests.AssertStatisticsKernelMatchesTheHost(Accelerator, n, c, h, w, layout, offset: 10f, rowSchedule: true);

    /// <summary>The parts schedule of the same reduction: planes of two parts, the second filling no lane set.</summary>
    [TestCase(2, 3, 71, 61, TensorLayout.RowMajor)]
    public void ChannelStatisticsPartKernelsMatchTheHostReduction(int n, int c, int h, int w, TensorLayout layout)
        => AdaptiveNormalizationTests.AssertStatisticsKernelMatchesTheHost(Accelerator, n, c, h, w, layout, offset: 10f, partSchedule: true);

    /// <summary>The PyTorch dense cases of <see cref="GemmFixtureTests"/> small enough for the emulator
    /// (at most four group steps along K): both transposes, edges, β and bias.</summary>
    private static IEnumerable<string> SmallDenseCases()
        => GemmFixture.CasesOf("dense").Where(name =>
        {
            var shape = DenseShape(GemmFixture.Load("dense").Parameters(name));
            return TiledGemmKernel.ExtentOf(shape).GroupCount * ((shape.K + TiledGemmKernel.Depth - 1) / TiledGemmKernel.Depth) <= 4;
        });

    private static GemmShape DenseShape(System.Text.Json.JsonElement parameters)
        => new(parameters.GetProperty("m").GetInt32(), parameters.GetProperty("n").GetInt32(), parameters.GetProperty("k").GetInt32(),
            parameters.GetProperty("transpose_a").GetBoolean(), parameters.GetProperty("transpose_b").GetBoolean());

    [TestCaseSource(nameof(SmallDenseCases))]
    public void TiledGemmKernelMatchesPyTorch(string caseName)
        => AssertDenseKernelMatchesPyTorch(caseName, (shape, a, b, c, epilogue)
            => Accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a, b, c, epilogue)));

    /// <summary>The PyTorch dense cases the kernel takes (C of a whole block at least); it has no groups
    /// to emulate, so none is too large here.</summary>
    private static IEnumerable<string> RegisterBlockedDenseCases()
        => GemmFixture.CasesOf("dense").Where(name => RegisterBlockedGemmKernel.Suits(DenseShape(GemmFixture.Load("dense").Parameters(name))));

    [TestCaseSource(nameof(RegisterBlockedDenseCases))]
    public void RegisterBlockedGemmKernelMatchesPyTorch(string caseName)
        => AssertDenseKernelMatchesPyTorch(caseName, (shape, a, b, c, epilogue)
            => RegisterBlockedGemmKernel.Launch(Accelerator, shape, a, b, c, epilogue, walkColumns: false));

    [TestCaseSource(nameof(RegisterBlockedDenseCases))]
    public void RegisterBlockedColumnGemmKernelMatchesPyTorch(string caseName)
        => AssertDenseKernelMatchesPyTorch(caseName, (shape, a, b, c, epilogue)
            => RegisterBlockedGemmKernel.Launch(Accelerator, shape, a, b, c, epilogue, walkColumns: true));

    /// <summary>The PyTorch dense cases the dot-product kernel takes (A as stored, B transposed, few rows).</summary>
    private static IEnumerable<string> DotProductDenseCases()
        => GemmFixture.CasesOf("dense").Where(name => DotProductGemmKernel.Suits(DenseShape(GemmFixture.Load("dense").Parameters(name))));

    [TestCaseSource(nameof(DotProductDenseCases))]
    public void DotProductGemmKernelMatchesPyTorch(string caseName)
        => AssertDenseKernelMatchesPyTorch(caseName, (shape, a, b, c, epilogue)
            => Accelerator.Launch(shape.N, DotProductGemmKernel.For(shape, a, b, c, epilogue)));

    /// <summary>The PyTorch dense cases the weight-rows kernel takes (A as stored, B transposed, 8 columns of C at least).</summary>
    private static IEnumerable<string> WeightRowsDenseCases()
        => GemmFixture.CasesOf("dense").Where(name => WeightRowsGemmKernel.Suits(DenseShape(GemmFixture.Load("dense").Parameters(name))));

    [TestCaseSource(nameof(WeightRowsDenseCases))]
    public void WeightRowsGemmKernelMatchesPyTorch(string caseName)
        => AssertDenseKernelMatchesPyTorch(caseName, (shape, a, b, c, epilogue)
            => WeightRowsGemmKernel.Launch(Accelerator, shape, a, b, c, epilogue));

    /// <summary>op(B) in column panels: B as stored and transposed, one whole panel, and a last panel slid
    /// back over its neighbour's columns (35 = 2·16 + 3).</summary>
    [TestCase(9, 35, false)]
    [TestCase(9, 35, true)]
    [TestCase(5, 16, true)]
    public void GemmColumnPanelKernelCopiesEachPanelAlongK(int k, int n, bool transposeB)
    {
        var shape = new GemmShape(RegisterBlockedGemmKernel.Rows, n, k, TransposeB: transposeB);
        float[] host = GemmTestData.Random(k * n, k + n);
        using var b = Accelerator.Allocate<float>(host);
        using var panels = Accelerator.Allocate<float>(GemmColumnPanelKernel.PanelLength(shape));
        Accelerator.Launch(k, RegisterBlockedGemmKernel.ColumnBlocks(shape), GemmColumnPanelKernel.For(shape, b.View, panels.View));
        Accelerator.Synchronize();
        const int width = RegisterBlockedGemmKernel.Columns;
        var expected = new float[panels.Length];
        for (int panel = 0; panel < RegisterBlockedGemmKernel.ColumnBlocks(shape); panel++)
            for (int step = 0; step < k; step++)
                for (int lane = 0; lane < width; lane++)
                {
                    int column = Math.Min(panel * width, n - width) + lane;
                    expected[((long)panel * k + step) * width + lane] = transposeB ? host[column * k + step] : host[step * n + column];
                }
        Assert.That(panels.ToArray(), Is.EqualTo(expected));
    }

    private void AssertDenseKernelMatchesPyTorch(string caseName, Action<GemmShape, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmEpilogue> launch)
    {
        var fixture = GemmFixture.Load("dense");
        var parameters = fixture.Parameters(caseName);
        var shape = DenseShape(parameters);
        float alpha = parameters.GetProperty("alpha").GetSingle(), beta = parameters.GetProperty("beta").GetSingle();
        float[]? biasHost = fixture.Find<float>(caseName, "bias");
        using var a = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "a"));
        using var b = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "b"));
        using var c = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "c"));
        using var bias = Accelerator.Allocate<float>(biasHost ?? [0f]);
        var epilogue = GemmEpilogue.Create(shape.N, alpha, beta, biasHost is null ? default : bias.View, GemmFixture.ActivationOf(parameters));
        launch(shape, a.View, b.View, c.View, epilogue);
        Accelerator.Synchronize();
        GemmTestData.AssertClose(fixture.Get<float>(caseName, "expected"), c.ToArray(), shape.K, termScale: Math.Max(1f, Math.Abs(alpha)));
    }

    /// <summary>The PyTorch conv2d cases the tiled kernel takes with at most three input channels (two
    /// barriers per input channel over 256 emulated threads make larger ones take long here).</summary>
    private static IEnumerable<string> SmallTiledConvCases()
        => ConvFixtures.Cases.Where(name => ConvFixtures.Load(name).Shape is var shape && Conv2dTiledKernel.Fits(shape) && shape.InChannels <= 3);

    [TestCaseSource(nameof(SmallTiledConvCases))]
    public void Conv2dTiledKernelMatchesPyTorch(string name)
    {
        var (shape, input, weights, epilogue, residual, expected) = ConvFixtures.Load(name);
        using var conv = new Conv2d(Accelerator, shape, weights, epilogue);
        using var inputBuffer = Accelerator.Allocate<float>(input);
        using var output = Accelerator.Allocate<float>(shape.OutputLength);
        using var residualBuffer = Accelerator.Allocate<float>(residual ?? []);
        conv.Forward(inputBuffer.View, output.View, TensorLayout.RowMajor, residualBuffer.View, Conv2dPath.Tiled);
        ImageTestData.AssertClose(expected, output.ToArray(), ConvFixtures.Absolute, ConvFixtures.Relative, name);
    }

    [Test]
    public void SomeCasesAreSmallEnoughForTheEmulator() => Assert.Multiple(() =>
    {
        Assert.That(SmallDenseCases(), Is.Not.Empty);
        Assert.That(DotProductDenseCases(), Is.Not.Empty);
        Assert.That(SmallTiledConvCases(), Is.Not.Empty);
    });
}
