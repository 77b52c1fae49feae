using Gpu.Ops;
using Gpu.Ops.Gemm;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>DenseGemm on every device against the plain reference.</summary>
public sealed class DenseGemmTests(string deviceName) : DeviceTest(deviceName)
{
    private static readonly Activation[] Activations = [Activation.None, Activation.Relu, Activation.Leaky(0.2f), new(ActivationKind.Sigmoid), new(ActivationKind.Tanh)];

    [TestCase(1, 1, 1, false, false)]
    [TestCase(7, 13, 5, false, false)]
    [TestCase(33, 17, 65, false, true)]
    [TestCase(17, 33, 9, true, false)]
    [TestCase(5, 70, 31, true, true)]
    [TestCase(64, 64, 64, false, false)]
    public void ProductMatchesTheReference(int m, int n, int k, bool transposeA, bool transposeB)
        => CheckAgainstReference(new GemmShape(m, n, k, transposeA, transposeB), 1f, 0f, withBias: false, Activation.None, seed: m * 31 + n);

    /// <summary>Sizes off the register-blocked kernel's 8×16 blocks (and the tiled kernel's 64×64), exactly
    /// one block, one row or column, K of 1: every transpose, since each reads op(A) and op(B) differently.</summary>
    private static IEnumerable<TestCaseData> BlockEdgeCases()
        => from size in (int[][])[[1, 17, 63], [17, 1, 65], [8, 16, 5], [63, 65, 1], [65, 129, 17], [129, 63, 65], [9, 33, 129]]
           from transposeA in (bool[])[false, true]
           from transposeB in (bool[])[false, true]
           select new TestCaseData(size[0], size[1], size[2], transposeA, transposeB);

    [TestCaseSource(nameof(BlockEdgeCases))]
    public void ProductAtBlockEdgesMatchesTheReference(int m, int n, int k, bool transposeA, bool transposeB)
        => CheckAgainstReference(new GemmShape(m, n, k, transposeA, transposeB), 1f, 0f, withBias: false, Activation.None, seed: m * 7 + n * 3 + k);

    /// <summary>α, β, bias and an activation fused into the store, for each transpose, at a shape with partial blocks.</summary>
    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void EpilogueIsFusedForEveryTranspose(bool transposeA, bool transposeB)
        => CheckAgainstReference(new GemmShape(17, 35, 13, transposeA, transposeB), 1.5f, 0.25f, withBias: true, Activation.Leaky(0.1f), seed: 40);

    /// <summary>The register-blocked kernel launched directly, so it runs on every device (DenseGemm
    /// picks it on CPU OpenCL runtimes only): its fused multiply-adds against the plain reference, one
    /// item per block and the column walk of few-row products, both operands as stored and transposed
    /// (the panel copies read each), at sliding edges (17 rows, 35 columns), whole blocks and the most
    /// row blocks the walk is chosen for.</summary>
    [TestCase(false, false, false, 17, 35)]
    [TestCase(true, false, false, 17, 35)]
    [TestCase(false, true, false, 17, 35)]
    [TestCase(true, true, false, 17, 35)]
    [TestCase(false, false, true, 17, 35)]
    [TestCase(true, true, true, 17, 35)]
    [TestCase(false, false, true, 8, 16)]
    [TestCase(false, false, true, 128, 50)]
    [TestCase(false, true, true, 128, 50)]
    public void RegisterBlockedKernelMatchesTheReferenceOnEveryDevice(bool transposeA, bool transposeB, bool walkColumns, int m, int n)
    {
        var shape = new GemmShape(m, n, 13, transposeA, transposeB);
        GemmTestData.AssertLaunchMatchesTheReference(Accelerator, shape, 0.5f, 1f, Activation.Relu, seed: 50, (a, b, c, bias)
            => RegisterBlockedGemmKernel.Launch(Accelerator, shape, a, b, c, GemmEpilogue.Create(n, 0.5f, 1f, bias, Activation.Relu), walkColumns));
    }

    /// <summary>The dot-product kernel of small-batch linear layers launched directly, so it runs on
    /// every device (DenseGemm picks it on CPU OpenCL runtimes only): one, three and the most rows it
    /// takes, K below, off and on its 16-wide segments (the scalar tail), odd N, α, β reading C, bias and an activation.</summary>
    [TestCase(1, 1, 5)]
    [TestCase(1, 37, 4096)]
    [TestCase(3, 17, 33)]
    [TestCase(3, 33, 47)]
    [TestCase(DotProductGemmKernel.MaxRows, 16, 31)]
    [TestCase(DotProductGemmKernel.MaxRows, 35, 13)]
    public void DotProductKernelMatchesTheReferenceOnEveryDevice(int m, int k, int n)
        => GemmTestData.AssertLaunchMatchesTheReference(Accelerator, new GemmShape(m, n, k, TransposeB: true), 0.5f, 1f, Activation.Leaky(0.1f), seed: 60, (a, b, c, bias)
            => Accelerator.Launch(n, DotProductGemmKernel.For(new GemmShape(m, n, k, TransposeB: true), a, b, c, GemmEpilogue.Create(n, 0.5f, 1f, bias, Activation.Leaky(0.1f)))));

    /// <summary>The kernel reading a linear layer's weight as stored, launched directly so it runs on every
    /// device (DenseGemm picks it on CPU OpenCL runtimes only): one row and a few (lanes past the batch
    /// repeating its last row), a whole panel, 17 and 40 rows (the last panel of A slid back over the one
    /// before), 8 columns (one item) and odd N (the last item slid back), K below, on and off the 16-wide
    /// segments, α, β reading C, bias and an activation.</summary>
    [TestCase(1, 5, 8)]
    [TestCase(3, 17, 13)]
    [TestCase(16, 16, 37)]
    [TestCase(17, 33, 21)]
    [TestCase(40, 9, 19)]
    public void WeightRowsKernelMatchesTheReferenceOnEveryDevice(int m, int k, int n)
    {
        var shape = new GemmShape(m, n, k, TransposeB: true);
        GemmTestData.AssertLaunchMatchesTheReference(Accelerator, shape, 0.5f, 1f, Activation.Leaky(0.1f), seed: 80, (a, b, c, bias)
            => WeightRowsGemmKernel.Launch(Accelerator, shape, a, b, c, GemmEpilogue.Create(n, 0.5f, 1f, bias, Activation.Leaky(0.1f))));
    }

    /// <summary>A linear layer's products through DenseGemm, unprepared and prepared: on CPU OpenCL runtimes
    /// one row takes the dot-product kernel, 3 to 40 rows the weight-rows kernel (prepared from 8 rows on
    /// the register-blocked kernel's panels), 70 rows the register-blocked kernel with a per-call copy;
    /// other devices take their own paths. K off the segments, odd N, the full epilogue.</summary>
    [TestCase(1, 37, 19)]
    [TestCase(3, 50, 33)]
    [TestCase(DotProductGemmKernel.MaxRows, 21, 17)]
    [TestCase(40, 21, 17)]
    [TestCase(70, 19, 23)]
    public void SmallBatchLinearProductMatchesTheReference(int m, int k, int n)
    {
        var shape = new GemmShape(m, n, k, TransposeB: true);
        CheckAgainstReference(shape, 1.5f, 0.25f, withBias: true, Activation.Leaky(0.1f), seed: m + n + k);
        GemmTestData.AssertLaunchMatchesTheReference(Accelerator, shape, 1f, 1f, Activation.Relu, seed: 70, (a, b, c, bias) =>
        {
            using var packed = DenseGemm.PackB(Accelerator, shape, b);
            DenseGemm.Multiply(Accelerator, shape, a, packed, c, beta: 1f, bias: bias, activation: Activation.Relu);
        });
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void EpilogueAppliesScalesBiasAndActivation(int activation)
        => CheckAgainstReference(new GemmShape(19, 23, 11, false, true), 0.75f, -0.5f, withBias: true, Activations[activation], seed: activation);

    [Test]
    public void BetaZeroIgnoresNaNInC()
    {
        var shape = new GemmShape(3, 4, 2);
        using var a = Accelerator.Allocate<float>(GemmTestData.Random(6, 1));
        using var b = Accelerator.Allocate<float>(GemmTestData.Random(8, 2));
        float[] nan = Enumerable.Repeat(float.NaN, 12).ToArray();
        using var c = Accelerator.Allocate<float>(nan);
        DenseGemm.Multiply(Accelerator, shape, a.View, b.View, c.View);
        var expected = new float[12];
        GemmReference.Multiply(shape, a.ToArray(), b.ToArray(), expected);
        GemmTestData.AssertClose(expected, c.ToArray(), shape.K);
    }

    [Test]
    public void WrongLengthsAreRejected()
    {
        using var a = Accelerator.Allocate<float>(6);
        using var b = Accelerator.Allocate<float>(8);
        using var c = Accelerator.Allocate<float>(12);
        Assert.Multiple(() =>
        {
            Assert.That(() => DenseGemm.Multiply(Accelerator, new GemmShape(3, 4, 3), a.View, b.View, c.View),
                Throws.ArgumentException.With.Message.Contains("A holds 6"));
            Assert.That(() => DenseGemm.Multiply(Accelerator, new GemmShape(3, 4, 2), a.View, b.View, c.View, bias: b.View.SubView(0, 3)),
                Throws.ArgumentException.With.Message.Contains("bias"));
            Assert.That(() => DenseGemm.Multiply(Accelerator, new GemmShape(0, 4, 2), a.View, b.View, c.View),
                Throws.ArgumentException.With.Message.Contains("positive"));
        });
    }

    private void CheckAgainstReference(GemmShape shape, float alpha, float beta, bool withBias, Activation activation, int seed)
    {
        float[] aHost = GemmTestData.Random(shape.M * shape.K, seed);
        float[] bHost = GemmTestData.Random(shape.K * shape.N, seed + 1);
        float[] cHost = GemmTestData.Random(shape.M * shape.N, seed + 2);
        float[] biasHost = withBias ? GemmTestData.Random(shape.N, seed + 3) : [];
        float[] expected = (float[])cHost.Clone();
        GemmReference.Multiply(shape, aHost, bHost, expected, alpha, beta, biasHost, activation);

        using var a = Accelerator.Allocate<float>(aHost);
        using var b = Accelerator.Allocate<float>(bHost);
        using var c = Accelerator.Allocate<float>(cHost);
        using var bias = Accelerator.Allocate<float>(Math.Max(biasHost.Length, 1));
        if (withBias)
            bias.CopyFromHost(biasHost);
        var biasView = withBias ? bias.View : default;
        DenseGemm.Multiply(Accelerator, shape, a.View, b.View, c.View, alpha, beta, biasView, activation);
        GemmTestData.AssertClose(expected, c.ToArray(), shape.K);
    }
}
