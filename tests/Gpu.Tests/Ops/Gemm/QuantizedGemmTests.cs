using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>int8 × uint8/int8 products on every device against an exact integer reference, and
/// dynamic quantization against the float product within the quantization error bound.</summary>
public sealed class QuantizedGemmTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(7, 37, 1, false, 131, false)]
    [TestCase(7, 70, 5, false, 17, false)]
    [TestCase(9, 64, 4, true, 0, false)]
    [TestCase(5, 33, 6, false, 200, true)]
    [TestCase(5, 48, 3, true, 0, true)]
    public void AccumulatorsEqualTheIntegerReference(int m, int k, int n, bool signedActivations, int zeroPoint, bool portableKernel)
    {
        var (values, activations) = RandomIntegers(m, k, n, seed: m * k + n);
        int[] expected = IntegerReference(values, activations, m, k, n, signedActivations, zeroPoint);
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = Accelerator.Allocate<byte>(activations);
        using var accumulators = Accelerator.Allocate<int>(m * n);
        if (portableKernel)
            Accelerator.Launch(n, m, new QuantizedAccumulateKernel
            {
                Operands = new QuantizedOperands { Weights = weights.Values.View, RowSums = weights.RowSums.View, Activations = x.View, SignedActivations = signedActivations ? 1 : 0, ZeroPoint = zeroPoint, K = k },
                Accumulators = accumulators.View, N = n,
            });
        else
            QuantizedGemm.Accumulate(Accelerator, weights, x.View, n, signedActivations, zeroPoint, accumulators.View);
        Accelerator.Synchronize();

        Assert.That(accumulators.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void DequantisedOutputScalesTheExactAccumulators()
    {
        int m = 6, k = 45, n = 3, zeroPoint = 90;
        var (values, activations) = RandomIntegers(m, k, n, seed: 3);
        float[] scales = GemmTestData.Random(m, 4, 0.001f, 0.02f), biasHost = GemmTestData.Random(m, 5);
        const float activationScale = 0.03f;
        int[] exact = IntegerReference(values, activations, m, k, n, false, zeroPoint);
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                expected[i * n + j] = MathF.Max(scales[i] * activationScale * exact[i * n + j] + biasHost[i], 0f);
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, scales, m, k);
        using var x = Accelerator.Allocate<byte>(activations);
        using var y = Accelerator.Allocate<float>(m * n);
        using var bias = Accelerator.Allocate<float>(biasHost);
        QuantizedGemm.Multiply(Accelerator, weights, x.View, n, false, zeroPoint, activationScale, y.View, bias.View, Activation.Relu);
        Assert.That(y.ToArray(), Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void DynamicQuantizationStaysWithinTheQuantizationErrorOfTheFloatProduct()
    {
        int m = 8, k = 64, n = 5;
        float[] dense = GemmTestData.Random(m * k, 6), xHost = GemmTestData.Random(k * n, 7, -0.5f, 1f);
        var expected = new float[m * n];
        GemmReference.Multiply(new GemmShape(m, n, k), dense, xHost, expected);
        using var weights = QuantizedWeights.Quantize(Accelerator, dense, m, k);
        using var x = Accelerator.Allocate<float>(xHost);
        using var y = Accelerator.Allocate<float>(m * n);
        QuantizedGemm.MultiplyDynamic(Accelerator, weights, x.View, n, y.View);
        float[] scales = weights.Scales.ToArray();
        // x spans [−0.5, 1]: 7-bit dynamic quantization (reduce_range, as PyTorch) has 127 steps.
        float activationScale = 1.5f / 127f;
        float[] actual = y.ToArray();
        for (int i = 0; i < m; i++)
        {
            // Each term's error is at most |w|·s_x/2 + |x|·s_w/2 + s_w·s_x/4, with |w| ≤ 1, |x| ≤ 1.
            float bound = k * (activationScale / 2 + scales[i] / 2 + scales[i] * activationScale / 4) * 1.01f;
            for (int j = 0; j < n; j++)
                Assert.That(actual[i * n + j], Is.EqualTo(expected[i * n + j]).Within(bound), $"Y[{i}, {j}]");
        }
    }

    // The range always holds 0 (so 0 quantizes exactly), like PyTorch's dynamic quantization;
    // the extremes sit past the first vector's lanes to catch a reduction that drops a tail.
    [TestCase(new[] { 0.5f, 1f, 0.25f, 0.75f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 3f, 0.5f }, 255, 3f / 255, 0)]
    [TestCase(new[] { -0.5f, 1f, 0.25f, 0.75f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, -2f, 0.5f }, 127, 3f / 127, 85)]
    [TestCase(new[] { -1f, -4f, -0.5f }, 255, 4f / 255, 255)]
    [TestCase(new[] { 0f, 0f }, 255, 1f, 0)]
    public void ActivationRangeSpansZeroAndTheExtremes(float[] values, int highest, float scale, int zeroPoint)
    {
        using var x = Accelerator.Allocate<float>(values);
        var chosen = ActivationQuantization.Choose(Accelerator, x.View, highest);
        Assert.Multiple(() =>
        {
            Assert.That(chosen.Scale, Is.EqualTo(scale).Within(1e-7f));
            Assert.That(chosen.ZeroPoint, Is.EqualTo(zeroPoint));
        });
    }

    [Test]
    public void QuantizeUsesSymmetricPerRowScales()
    {
        using var weights = QuantizedWeights.Quantize(Accelerator, [1f, -0.5f, 0.25f, 0f, 0f, 0f, -2f, 1f, 0.01f], 3, 3);
        Assert.Multiple(() =>
        {
            Assert.That(weights.Values.ToArray(), Is.EqualTo(new sbyte[] { 127, -64, 32, 0, 0, 0, -127, 64, 1 }));
            Assert.That(weights.Scales.ToArray(), Is.EqualTo(new[] { 1f / 127, 1f, 2f / 127 }).Within(1e-7f));
            Assert.That(weights.RowSums.ToArray(), Is.EqualTo(new[] { 95, 0, -62 }));
        });
    }

    [Test]
    public void InvalidOperandsAreRejected()
    {
        using var weights = QuantizedWeights.FromQuantized(Accelerator, new sbyte[6], [1f, 1f], 2, 3);
        using var x = Accelerator.Allocate<byte>(6);
        using var accumulators = Accelerator.Allocate<int>(4);
        Assert.Multiple(() =>
        {
            Assert.That(() => QuantizedGemm.Accumulate(Accelerator, weights, x.View, 2, true, 5, accumulators.View), Throws.ArgumentException.With.Message.Contains("Zero point"));
            Assert.That(() => QuantizedGemm.Accumulate(Accelerator, weights, x.View, 3, false, 0, accumulators.View), Throws.ArgumentException.With.Message.Contains("activations"));
            Assert.That(() => QuantizedWeights.FromQuantized(Accelerator, [-128, 0], [1f], 1, 2), Throws.ArgumentException.With.Message.Contains("−128"));
        });
    }

    internal static (sbyte[] Values, byte[] Activations) RandomIntegers(int m, int k, int n, int seed)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, m * k).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var activations = Enumerable.Range(0, n * k).Select(_ => (byte)random.Next(0, 256)).ToArray();
        return (values, activations);
    }

    internal static int[] IntegerReference(sbyte[] values, byte[] activations, int m, int k, int n, bool signedActivations, int zeroPoint)
    {
        var result = new int[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int t = 0; t < k; t++)
                {
                    int activation = signedActivations ? (sbyte)activations[j * k + t] : activations[j * k + t];
                    sum += values[i * k + t] * (long)(activation - zeroPoint);
                }
                result[i * n + j] = checked((int)sum);
            }
        return result;
    }
}
