using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Tests.Ops.Gemm;

namespace Gpu.Tests.Cuda;

/// <summary>cuBLAS, the route DenseGemm takes on CUDA devices for tile-filling products, against the plain
/// reference: every transpose pair (the row-major to column-major mapping), α/β, bias and activation.</summary>
[TestFixtureSource(typeof(CudaTestDevices), nameof(CudaTestDevices.Fixtures))]
public sealed class CublasGemmTests(string deviceName)
{
    private Accelerator accelerator = null!;

    [OneTimeSetUp]
    public void OpenDevice() => accelerator = Devices.Open(deviceName);

    [OneTimeTearDown]
    public void CloseDevice() => accelerator.Dispose();

    [TestCase(70, 45, 33, false, false)]
    [TestCase(70, 45, 33, true, false)]
    [TestCase(70, 45, 33, false, true)]
    [TestCase(70, 45, 33, true, true)]
    public void ProductMatchesTheReference(int m, int n, int k, bool transposeA, bool transposeB)
        => Check(new GemmShape(m, n, k, transposeA, transposeB), 1f, 0f, withBias: false, Activation.None);

    [Test]
    public void EpilogueAppliesScalesBiasAndActivation()
        => Check(new GemmShape(64, 96, 40, false, true), 0.75f, -0.5f, withBias: true, Activation.Leaky(0.2f));

    [Test]
    public void OtherDevicesAreRefused()
    {
        using var cpu = Devices.Open("cpu");
        using var buffer = cpu.Allocate<float>(1);
        Assert.That(() => CublasGemm.Multiply(cpu, new GemmShape(1, 1, 1), buffer.View, buffer.View, buffer.View), Throws.InstanceOf<NotSupportedException>());
    }

    private void Check(GemmShape shape, float alpha, float beta, bool withBias, Activation activation)
    {
        if (!CublasGemm.IsAvailable(accelerator))
            Assert.Ignore($"no cuBLAS on {deviceName}: {((Gpu.Core.Ilgpu.IlgpuAccelerator)accelerator).CuBlasUnavailableReason}");
        float[] a = GemmTestData.Random(shape.M * shape.K, 1), b = GemmTestData.Random(shape.K * shape.N, 2);
        float[] c = GemmTestData.Random(shape.M * shape.N, 3), bias = withBias ? GemmTestData.Random(shape.N, 4) : [];
        var expected = (float[])c.Clone();
        GemmReference.Multiply(shape, a, b, expected, alpha, beta, bias, activation);
        using var aBuffer = accelerator.Allocate<float>(a);
        using var bBuffer = accelerator.Allocate<float>(b);
        using var cBuffer = accelerator.Allocate<float>(c);
        using var biasBuffer = accelerator.Allocate<float>(bias);
        CublasGemm.Multiply(accelerator, shape, aBuffer.View, bBuffer.View, cBuffer.View, alpha, beta, withBias ? biasBuffer.View : default, activation);
        GemmTestData.AssertClose(expected, cBuffer.ToArray(), shape.K);
    }
}
