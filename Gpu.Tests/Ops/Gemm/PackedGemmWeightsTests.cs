using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>DenseGemm with B packed once (<see cref="DenseGemm.PackB"/>) on every device against the plain reference.</summary>
public sealed class PackedGemmWeightsTests(string deviceName) : DeviceTest(deviceName)
{
    // Shapes cover a few rows (the unpacked fallback), K spanning several packed K blocks (256 on
    // AVX2, 384 on AVX-512), N beyond one 4096-column block, and ragged panel edges.
    [TestCase(3, 20, 9, false, true)]
    [TestCase(32, 52, 800, false, true)]
    [TestCase(13, 37, 17, true, false)]
    [TestCase(7, 4100, 3, false, false)]
    [TestCase(9, 4103, 5, false, true)]
    [TestCase(40, 70, 33, true, true)]
    public void ReusedWeightsMatchTheReferenceEveryCall(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var shape = new GemmShape(m, n, k, transposeA, transposeB);
        float[] bHost = GemmTestData.Random(k * n, 7);
        float[] biasHost = GemmTestData.Random(n, 8);
        using var b = Accelerator.Allocate<float>(bHost);
        using var bias = Accelerator.Allocate<float>(biasHost);
        using var weights = DenseGemm.PackB(Accelerator, shape, b.View);
        Assert.That(weights.IsPacked, Is.EqualTo(Accelerator.IsHostAddressable() && CpuDenseGemm.ActiveWidth is not null));
        // An OpenCL CPU runtime keeps a transposed B transposed once, so its register-blocked kernel runs without a per-call transpose.
        Assert.That(weights.Transposed is not null, Is.EqualTo(transposeB && Accelerator.Device.PrefersBarrierFreeSchedule()));
        // Two products with different A, the second accumulating (β = 1) as a recurrent step does.
        for (int call = 0; call < 2; call++)
        {
            float[] aHost = GemmTestData.Random(m * k, 10 + call);
            float[] cHost = GemmTestData.Random(m * n, 20 + call);
            float beta = call == 0 ? 0f : 1f;
            var activation = call == 0 ? Activation.None : Activation.Relu;
            float[] expected = (float[])cHost.Clone();
            GemmReference.Multiply(shape, aHost, bHost, expected, 0.5f, beta, biasHost, activation);
            using var a = Accelerator.Allocate<float>(aHost);
            using var c = Accelerator.Allocate<float>(cHost);
            DenseGemm.Multiply(Accelerator, shape, a.View, weights, c.View, 0.5f, beta, bias.View, activation);
            GemmTestData.AssertClose(expected, c.ToArray(), k);
        }
    }

    [Test]
    public void MismatchedShapesAndDisposedWeightsAreRejected()
    {
        using var a = Accelerator.Allocate<float>(6);
        using var b = Accelerator.Allocate<float>(8);
        using var c = Accelerator.Allocate<float>(12);
        var packing = new GemmShape(3, 4, 2, TransposeB: true);
        var weights = DenseGemm.PackB(Accelerator, packing, b.View);
        Assert.Multiple(() =>
        {
            Assert.That(() => DenseGemm.PackB(Accelerator, new GemmShape(3, 4, 3), b.View),
                Throws.ArgumentException.With.Message.Contains("B holds 8"));
            Assert.That(() => DenseGemm.Multiply(Accelerator, packing with { TransposeB = false }, a.View, weights, c.View),
                Throws.ArgumentException.With.Message.Contains("TransposeB"));
            Assert.That(() => DenseGemm.Multiply(Accelerator, new GemmShape(2, 4, 3, TransposeB: true), a.View, weights, c.View),
                Throws.ArgumentException.With.Message.Contains("K=3"));
            Assert.That(() => DenseGemm.Multiply(Accelerator, packing, a.View.SubView(0, 5), weights, c.View),
                Throws.ArgumentException.With.Message.Contains("A holds 5"));
        });
        weights.Dispose();
        Assert.That(() => DenseGemm.Multiply(Accelerator, packing, a.View, weights, c.View), Throws.TypeOf<ObjectDisposedException>());
    }
}
