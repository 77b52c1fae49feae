using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>The CPU fast path at each vector width, on shapes that cross every cache block edge
/// (M past MC, K past KC, N not a multiple of the register block) and on the few-rows paths.</summary>
[NonParallelizable]
public sealed class CpuDenseGemmTests
{
    private Accelerator accelerator = null!;

    [OneTimeSetUp]
    public void Open() => accelerator = Devices.Open("cpu");

    [OneTimeTearDown]
    public void Close()
    {
        CpuDenseGemm.ForcedWidth = CpuVectorWidth.Auto;
        accelerator.Dispose();
    }

    [TestCase("Avx2", 130, 70, 300, false, false)]
    [TestCase("Avx2", 127, 45, 401, true, true)]
    [TestCase("Avx2", 3, 37, 29, false, true)]
    [TestCase("Avx2", 4, 600, 19, true, false)]
    [TestCase("Avx2", 130, 45, 600, false, true)]
    [TestCase("Avx2", 200, 40, 333, false, true)]
    [TestCase("Avx2", 18, 41, 77, true, true)]
    [TestCase("Avx512", 130, 70, 300, false, false)]
    [TestCase("Avx512", 127, 45, 401, true, true)]
    [TestCase("Avx512", 3, 37, 29, false, true)]
    [TestCase("Avx512", 4, 600, 19, true, false)]
    [TestCase("Avx512", 130, 45, 600, false, true)]
    [TestCase("Avx512", 200, 40, 333, false, true)]
    [TestCase("Avx512", 18, 41, 77, true, true)]
    public void WidthMatchesTheReference(string widthName, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var width = Enum.Parse<CpuVectorWidth>(widthName);
        CpuDenseGemm.ForcedWidth = width;
        if (CpuDenseGemm.ActiveWidth != width)
            Assert.Ignore($"this processor has no {width}");
        GemmTestData.AssertLaunchMatchesTheReference(accelerator, new GemmShape(m, n, k, transposeA, transposeB), 1.5f, 0.25f, Activation.Leaky(0.1f), seed: 1,
            (a, b, c, bias) => DenseGemm.Multiply(accelerator, new GemmShape(m, n, k, transposeA, transposeB), a, b, c, 1.5f, 0.25f, bias, Activation.Leaky(0.1f)));
    }
}

/// <summary>The portable kernel launched directly, so it stays covered on devices where
/// <see cref="DenseGemm"/> picks a faster path, and on ILGPU's CPU accelerator.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class SimpleGemmKernelTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(9, 14, 6, false, true)]
    [TestCase(11, 5, 17, true, false)]
    public void KernelMatchesTheReference(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var shape = new GemmShape(m, n, k, transposeA, transposeB);
        float[] aHost = GemmTestData.Random(m * k, 5), bHost = GemmTestData.Random(k * n, 6), cHost = GemmTestData.Random(m * n, 7);
        float[] biasHost = GemmTestData.Random(n, 8);
        float[] expected = (float[])cHost.Clone();
        GemmReference.Multiply(shape, aHost, bHost, expected, 2f, -1f, biasHost, Activation.Relu);
        using var a = Accelerator.Allocate<float>(aHost);
        using var b = Accelerator.Allocate<float>(bHost);
        using var c = Accelerator.Allocate<float>(cHost);
        using var bias = Accelerator.Allocate<float>(biasHost);
        var epilogue = GemmEpilogue.Create(n, 2f, -1f, bias.View, Activation.Relu);
        Accelerator.Launch(n, m, SimpleGemmKernel.For(shape, a.View, b.View, c.View, epilogue));
        Accelerator.Synchronize();

        GemmTestData.AssertClose(expected, c.ToArray(), k, termScale: 2f);
    }
}

/// <summary>Each CPU int8 dot-product path forced in turn, against the integer reference.</summary>
[NonParallelizable]
public sealed class CpuQuantizedGemmTests
{
    [TearDown]
    public void Restore() => Gpu.Ops.Gemm.Quantized.CpuQuantizedGemm.ForcedPath = Gpu.Ops.Gemm.Quantized.QuantizedDotPath.Auto;

    // 37 rows split over 16 tasks give ranges of 2 and 3 rows (pairs and an odd one); 133 rows
    // ranges of 8 and 9 (whole groups of four rows and a remainder); 7 columns a short last group;
    // 200 columns of 1027 steps split K into blocks (960 + 67) whose sums add up.
    [TestCase("Widening", false, 77, false, 37, 100, 7)]
    [TestCase("Widening", false, 77, true, 37, 100, 7)]
    [TestCase("Widening", true, 0, false, 37, 100, 7)]
    [TestCase("Narrow", false, 77, true, 37, 100, 7)]
    [TestCase("Narrow", false, 77, true, 133, 100, 7)]
    [TestCase("Vnni", false, 77, false, 37, 100, 7)]
    [TestCase("Widening", false, 77, false, 37, 1027, 200)]
    [TestCase("Widening", true, 0, false, 133, 1027, 203)]
    [TestCase("Narrow", false, 77, true, 37, 1027, 201)]
    [TestCase("Narrow", false, 77, true, 133, 1027, 201)]
    [TestCase("Vnni", false, 77, false, 133, 1027, 202)]
    public void PathMatchesTheIntegerReference(string pathName, bool signedActivations, int zeroPoint, bool sevenBit, int m, int k, int n)
    {
        var path = Enum.Parse<Gpu.Ops.Gemm.Quantized.QuantizedDotPath>(pathName);
        Gpu.Ops.Gemm.Quantized.CpuQuantizedGemm.ForcedPath = path;
        if (Gpu.Ops.Gemm.Quantized.CpuQuantizedGemm.ActivePath(signedActivations, sevenBit) != path)
            Assert.Ignore($"this processor cannot run the {path} path");
        var (values, activations) = QuantizedGemmTests.RandomIntegers(m, k, n, seed: 9);
        if (sevenBit)
            for (int i = 0; i < activations.Length; i++)
                activations[i] &= 0x7F;
        using var accelerator = Devices.Open("cpu");
        using var weights = Gpu.Ops.Gemm.Quantized.QuantizedWeights.FromQuantized(accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = accelerator.Allocate<byte>(activations);
        using var accumulators = accelerator.Allocate<int>(m * n);
        Gpu.Ops.Gemm.Quantized.QuantizedGemm.Accumulate(accelerator, weights, x.View, n, signedActivations, zeroPoint, accumulators.View);
        Assert.That(accumulators.ToArray(), Is.EqualTo(QuantizedGemmTests.IntegerReference(values, activations, m, k, n, signedActivations, zeroPoint)));
    }
}
