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
