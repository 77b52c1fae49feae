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
        // An OpenCL CPU runtime copies B once into its register-blocked kernel's column panels, so products copy it no more.
        Assert.That(weights.ColumnPanels is not null, Is.EqualTo(Accelerator.Device.PrefersBarrierFreeSchedule() && n >= RegisterBlockedGemmKernel.Columns));
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

    // One 8×16 block, rows below the 64 at which an unprepared transposed B is copied into panels per
    // call, and several blocks with ragged edges, B as stored and transposed: prepared weights take the
    // register-blocked kernel wherever C holds a block (below that other kernels read the source as it stands).
    [TestCase(8, 16, 5, true)]
    [TestCase(9, 17, 3, true)]
    [TestCase(16, 40, 33, true)]
    [TestCase(70, 37, 19, true)]
    [TestCase(9, 17, 3, false)]
    [TestCase(70, 37, 19, false)]
    public void PreparedWeightsAreNotPackedAgainPerCall(int m, int n, int k, bool transposeB)
    {
        if (!Accelerator.Device.PrefersBarrierFreeSchedule())
            Assert.Ignore($"{Accelerator.Device.Name} has no use for the register-blocked kernel's column panels; only OpenCL CPU runtimes copy B into them once");
        var shape = new GemmShape(m, n, k, TransposeB: transposeB);
        float[] bHost = GemmTestData.Random(k * n, 31);
        float[] aHost = GemmTestData.Random(m * k, 32);
        float[] biasHost = GemmTestData.Random(n, 33);
        using var b = Accelerator.Allocate<float>(bHost);
        using var weights = DenseGemm.PackB(Accelerator, shape, b.View);
        // Overwriting the source after packing (which PackB's contract forbids) makes a product that
        // packed the source again per call disagree with one that reads the copy made at packing.
        b.CopyFromHost(GemmTestData.Random(k * n, 34));
        float[] expected = new float[m * n];
        GemmReference.Multiply(shape, aHost, bHost, expected, 1f, 0f, biasHost, Activation.Relu);
        using var a = Accelerator.Allocate<float>(aHost);
        using var bias = Accelerator.Allocate<float>(biasHost);
        using var c = Accelerator.Allocate<float>(m * n);
        for (int call = 0; call < 2; call++)
        {
            DenseGemm.Multiply(Accelerator, shape, a.View, weights, c.View, bias: bias.View, activation: Activation.Relu);
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
