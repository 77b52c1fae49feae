using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using ILGPU;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>int8 × uint8/int8 products on every device against an exact integer reference, and
/// dynamic quantization against the float product within the quantization error bound; on ILGPU's
/// CPU accelerator too, since every quantized kernel is written with ILGPU's types.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class QuantizedGemmTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Which code computes the accumulators.</summary>
    public enum QuantizedPath
    {
        /// <summary>What <see cref="QuantizedGemm.Accumulate"/> chooses for the device.</summary>
        Chosen,
        /// <summary>The portable byte-at-a-time kernel.</summary>
        Bytes,
        /// <summary>The packed Dot4 kernel (what GPUs get, and opencl:0 below 8 columns).</summary>
        Packed,
        /// <summary>The panel kernel of OpenCL CPU runtimes (at least 8 columns; 16-row panels, the last one padded).</summary>
        Panels,
    }

    [TestCase(7, 37, 1, false, 131, QuantizedPath.Chosen)]
    [TestCase(7, 70, 5, false, 17, QuantizedPath.Chosen)]
    [TestCase(9, 64, 4, true, 0, QuantizedPath.Chosen)]
    [TestCase(5, 33, 6, false, 200, QuantizedPath.Bytes)]
    [TestCase(5, 48, 3, true, 0, QuantizedPath.Bytes)]
    [TestCase(6, 39, 5, false, 255, QuantizedPath.Packed)]
    [TestCase(6, 41, 3, true, 0, QuantizedPath.Packed)]
    [TestCase(4, 2, 3, false, 0, QuantizedPath.Packed)]
    [TestCase(3, 64, 2, true, 0, QuantizedPath.Packed)]
    // Rows and columns at and off the panels' 16×8 blocks (the last panel is padded, the last column block slides back).
    [TestCase(7, 70, 21, false, 17, QuantizedPath.Chosen)]
    [TestCase(4, 33, 16, true, 0, QuantizedPath.Chosen)]
    [TestCase(17, 45, 8, false, 9, QuantizedPath.Chosen)]
    [TestCase(16, 19, 9, true, 0, QuantizedPath.Panels)]
    [TestCase(1, 30, 15, false, 128, QuantizedPath.Panels)]
    [TestCase(33, 7, 8, false, 250, QuantizedPath.Panels)]
    [TestCase(31, 64, 23, true, 0, QuantizedPath.Panels)]
    [TestCase(6, 39, 17, false, 255, QuantizedPath.Panels)]
    [TestCase(5, 41, 16, true, 0, QuantizedPath.Panels)]
    [TestCase(9, 70, 35, false, 3, QuantizedPath.Panels)]
    [TestCase(4, 2, 33, false, 0, QuantizedPath.Panels)]
    public void AccumulatorsEqualTheIntegerReference(int m, int k, int n, bool signedActivations, int zeroPoint, QuantizedPath path)
    {
        var (values, activations) = RandomIntegers(m, k, n, seed: m * k + n);
        Assert.That(Accumulators(values, activations, m, k, n, signedActivations, zeroPoint, path),
            Is.EqualTo(IntegerReference(values, activations, m, k, n, signedActivations, zeroPoint)));
    }

    // All weights at ±127 against activations at 0, 255 and int8's −128: the largest products,
    // summed over a K that leaves a partly filled last int and, in the row-segment kernels, runs
    // past one float-exact run of 1024 steps (17 rows and 17 columns reach the panel kernel's padded
    // last panel and sliding last column block).
    [TestCase(false, 0, QuantizedPath.Packed, 3, 3)]
    [TestCase(false, 255, QuantizedPath.Packed, 3, 3)]
    [TestCase(true, 0, QuantizedPath.Packed, 3, 3)]
    [TestCase(false, 0, QuantizedPath.Chosen, 3, 3)]
    [TestCase(true, 0, QuantizedPath.Chosen, 3, 3)]
    [TestCase(false, 0, QuantizedPath.Panels, 4, 17)]
    [TestCase(false, 255, QuantizedPath.Panels, 17, 17)]
    [TestCase(true, 0, QuantizedPath.Panels, 17, 9)]
    [TestCase(true, 0, QuantizedPath.Chosen, 4, 17)]
    public void ExtremeOperandsStayExact(bool signedActivations, int zeroPoint, QuantizedPath path, int m, int n)
    {
        const int k = 1027;
        var values = new sbyte[m * k];
        var activations = new byte[n * k];
        for (int t = 0; t < k; t++)
        {
            for (int i = 0; i < m; i++)
                values[i * k + t] = (i % 3) switch { 0 => 127, 1 => -127, _ => (sbyte)(t % 2 == 0 ? 127 : -127) };
            for (int j = 0; j < n; j++)
                activations[j * k + t] = (j % 3) switch { 0 => 255, 1 => 0x80, _ => (byte)(t % 3 == 0 ? 0 : 255) };
        }
        Assert.That(Accumulators(values, activations, m, k, n, signedActivations, zeroPoint, path),
            Is.EqualTo(IntegerReference(values, activations, m, k, n, signedActivations, zeroPoint)));
    }

    [TestCase(false, 77, QuantizedPath.Packed, 5, 4)]
    [TestCase(true, 0, QuantizedPath.Packed, 5, 4)]
    [TestCase(false, 77, QuantizedPath.Panels, 6, 19)]
    [TestCase(true, 0, QuantizedPath.Panels, 6, 19)]
    public void GemmKernelDequantisesTheExactAccumulators(bool signedActivations, int zeroPoint, QuantizedPath path, int m, int n)
    {
        const int k = 23;
        var (values, activations) = RandomIntegers(m, k, n, seed: 11);
        // Unit scales and no epilogue leave each exact accumulator, which float32 holds exactly here.
        float[] expected = [.. IntegerReference(values, activations, m, k, n, signedActivations, zeroPoint).Select(a => (float)a)];
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = Accelerator.Allocate<byte>(activations);
        using var y = Accelerator.Allocate<float>(m * n);
        var operands = Operands(weights, x.View, k, signedActivations, zeroPoint);
        var output = new QuantizedOutput { WeightScales = weights.Scales.View, ActivationScale = 1f, Y = y.View, N = n, Epilogue = RowEpilogue.Create(default, Activation.None) };
        if (path == QuantizedPath.Panels)
        {
            using (QuantizedGemm.Transpose(Accelerator, weights, operands, n, out var transposed))
                QuantizedGemm.LaunchPanels(Accelerator, transposed, new QuantizedOutputStore { Output = output });
        }
        else
        {
            using (QuantizedGemm.Pack(Accelerator, weights, operands, n, out var packed))
                Accelerator.Launch(n, m, new PackedQuantizedGemmKernel { Operands = packed, Output = output });
        }
        Assert.That(y.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void PackedWeightsHoldFourValuesPerIntWithZeroPadding()
    {
        using var weights = QuantizedWeights.FromQuantized(Accelerator, [1, -2, 3, -4, 5, 6, 7, 8, 9, 10], [1f, 1f], 2, 5);
        Assert.Multiple(() =>
        {
            Assert.That(weights.PackedColumns, Is.EqualTo(2));
            Assert.That(weights.PackedValues.ToArray(), Is.EqualTo(new[] { unchecked((int)0xFC03FE01), 5, 0x09080706, 10 }));
        });
    }

    [Test]
    public void PanelsHoldSixteenRowsPerStepWithZeroPadding()
    {
        const int m = 17, k = 3;
        var values = Enumerable.Range(0, m * k).Select(i => (sbyte)(i - 25)).ToArray();
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        var expected = new sbyte[2 * k * 16];
        for (int i = 0; i < m; i++)
            for (int t = 0; t < k; t++)
                expected[(i / 16 * k + t) * 16 + i % 16] = values[i * k + t];
        Assert.That(weights.Panels.ToArray(), Is.EqualTo(expected));
    }

    private int[] Accumulators(sbyte[] values, byte[] activations, int m, int k, int n, bool signedActivations, int zeroPoint, QuantizedPath path)
    {
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = Accelerator.Allocate<byte>(activations);
        using var accumulators = Accelerator.Allocate<int>(m * n);
        var operands = Operands(weights, x.View, k, signedActivations, zeroPoint);
        switch (path)
        {
            case QuantizedPath.Chosen:
                QuantizedGemm.Accumulate(Accelerator, weights, x.View, n, signedActivations, zeroPoint, accumulators.View);
                break;
            case QuantizedPath.Bytes:
                Accelerator.Launch(n, m, new QuantizedAccumulateKernel { Operands = operands, Accumulators = accumulators.View, N = n });
                break;
            case QuantizedPath.Panels:
                using (QuantizedGemm.Transpose(Accelerator, weights, operands, n, out var transposed))
                    QuantizedGemm.LaunchPanels(Accelerator, transposed, new QuantizedAccumulatorStore { Accumulators = accumulators.View, N = n });
                break;
            default:
                using (QuantizedGemm.Pack(Accelerator, weights, operands, n, out var packed))
                    Accelerator.Launch(n, m, new PackedQuantizedAccumulateKernel { Operands = packed, Accumulators = accumulators.View, N = n });
                break;
        }
        Accelerator.Synchronize();
        return accumulators.ToArray();
    }

    private static QuantizedOperands Operands(QuantizedWeights weights, ArrayView<byte> x, int k, bool signedActivations, int zeroPoint) => new()
    {
        Weights = weights.Values.View, RowSums = weights.RowSums.View, Activations = x, SignedActivations = signedActivations ? 1 : 0, ZeroPoint = zeroPoint, K = k,
    };

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

    // X spans 31.75 from min(x, 0) to max(x, 0), so the 7-bit scale is exactly 1/4 and, with unit
    // weight scales, each output is its exact accumulator / 4: the quantized activations must be
    // the host's to the bit (ties x·4 = 0.5, 1.5, 10.5 round to even), and a K that is not a
    // multiple of 4 leaves the last packed int of every column partly filled. N of 16 and 19 take
    // the CPU's eight-column vector quantizer (19: two vectors and three columns one at a time).
    [TestCase(5, 37, 3, -10f)]
    [TestCase(7, 45, 19, -3f)]
    [TestCase(2, 9, 16, -20f)]
    [TestCase(4, 2, 5, -28f)]
    [TestCase(6, 66, 4, 0f)]
    [TestCase(3, 63, 1, -0.125f)]
    [TestCase(5, 37, 33, -10f)]
    [TestCase(17, 41, 9, -5f)]
    public void DynamicQuantizationEqualsTheIntegerReference(int m, int k, int n, float lowest)
    {
        float highest = lowest + 31.75f;
        float[] xHost = GemmTestData.Random(k * n, seed: k + n, lowest, highest);
        (xHost[0], xHost[1], xHost[2], xHost[3], xHost[^1]) = (lowest, 0.125f, 0.375f, 2.625f, highest);
        var (values, _) = RandomIntegers(m, k, n, seed: m + k);
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = Accelerator.Allocate<float>(xHost);
        using var y = Accelerator.Allocate<float>(m * n);
        QuantizedGemm.MultiplyDynamic(Accelerator, weights, x.View, n, y.View);
        var (scale, zeroPoint) = ActivationQuantization.Choose(Accelerator, x.View, 127);
        Assert.That(scale, Is.EqualTo(0.25f));
        byte[] quantized = QuantizeAtAQuarter(xHost, k, n, zeroPoint);
        float[] expected = [.. IntegerReference(values, quantized, m, k, n, false, zeroPoint).Select(a => a * 0.25f)];
        Assert.That(y.ToArray(), Is.EqualTo(expected));
    }

    /// <summary>The accumulating form, dynamic (floats quantized here) and on given bytes: with unit weight scales and
    /// an activation scale of 1/4 every product is its exact accumulator / 4, so even with the previous Y, a bias and
    /// LeakyReLU the result is the reference to the bit; N = 1 is an LSTM step of one line.</summary>
    [TestCase(5, 37, 3, true)]
    [TestCase(6, 66, 1, true)]
    [TestCase(7, 45, 19, false)]
    [TestCase(17, 40, 9, true)]
    [TestCase(18, 29, 12, false)]
    public void AccumulatingAddsTheProductToThePreviousOutput(int m, int k, int n, bool dynamic)
    {
        const float lowest = -10f;
        float[] xHost = GemmTestData.Random(k * n, seed: k + n + 1, lowest, lowest + 31.75f);
        (xHost[0], xHost[^1]) = (lowest, lowest + 31.75f);
        var (values, _) = RandomIntegers(m, k, n, seed: m + k + 1);
        using var weights = QuantizedWeights.FromQuantized(Accelerator, values, Enumerable.Repeat(1f, m).ToArray(), m, k);
        using var x = Accelerator.Allocate<float>(xHost);
        var (scale, zeroPoint) = ActivationQuantization.Choose(Accelerator, x.View, 127);
        Assert.That(scale, Is.EqualTo(0.25f));
        byte[] quantized = QuantizeAtAQuarter(xHost, k, n, zeroPoint);
        float[] product = [.. IntegerReference(values, quantized, m, k, n, false, zeroPoint).Select(a => a * 0.25f)];
        float[] biasHost = GemmTestData.Random(m, seed: 41), previous = GemmTestData.Random(m * n, seed: 42, -8f, 8f);
        var activation = Activation.Leaky(0.2f);
        using var bytes = Accelerator.Allocate<byte>(quantized);
        using var bias = Accelerator.Allocate<float>(biasHost);
        void Multiply(ArrayView<float> y, ArrayView<float> rowBias, Activation rowActivation, ProductOutput output)
        {
            if (dynamic)
                QuantizedGemm.MultiplyDynamic(Accelerator, weights, x.View, n, y, rowBias, rowActivation, output);
            else
                QuantizedGemm.Multiply(Accelerator, weights, bytes.View, n, false, zeroPoint, 0.25f, y, rowBias, rowActivation, output);
        }

        using var accumulated = Accelerator.Allocate<float>(previous);
        Multiply(accumulated.View, bias.View, activation, ProductOutput.Accumulate);
        Accelerator.Synchronize();
        Assert.That(accumulated.ToArray(), Is.EqualTo(ProductOutputChecks.Epilogue(product, m, n, null, previous, biasHost, activation)));
        ProductOutputChecks.AccumulatingAddsExactlyToTheOverwrittenProduct(Accelerator, m * n, (y, output) => Multiply(y, default, Activation.None, output));
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

    /// <summary>Devices whose memory the host cannot read reduce X to partial ranges first: the choice must be the
    /// host scan's (the cpu device reads X in place) to the bit, over lengths at and off the kernel's chunks, with
    /// the extremes in a later chunk, negative zeros, all-negative values and a NaN.</summary>
    [TestCase(1, 0)]
    [TestCase(1023, 1)]
    [TestCase(1024, 2)]
    [TestCase(3001, 3)]
    [TestCase(2050, 4)]
    [TestCase(5000, 5)]
    public void DeviceRangeGivesTheHostScansChoice(int length, int variant)
    {
        float[] values = GemmTestData.Random(length, seed: length + variant, -3f, 5f);
        switch (variant)
        {
            case 0:
                values[0] = -0f;
                break;
            case 1:
                values = [.. values.Select(v => -0f * v)];
                break;
            case 2:
                values = [.. values.Select(v => v - 9f)];
                break;
            case 3:
                (values[2047], values[2049]) = (-40f, 70f);
                break;
            case 4:
                values[1500] = float.NaN;
                break;
        }
        using var host = Devices.Get("cpu").Open();
        using var onHost = host.Allocate<float>(values);
        using var onDevice = Accelerator.Allocate<float>(values);
        foreach (int highest in new[] { 127, 255 })
            Assert.That(ActivationQuantization.Choose(Accelerator, onDevice.View, highest), Is.EqualTo(ActivationQuantization.Choose(host, onHost.View, highest)), $"highest {highest}");
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

    /// <summary>X (K×N) quantized at a scale of 1/4 to 7 bits, as <see cref="QuantizedGemm.MultiplyDynamic"/> does (ties to
    /// even): N×K bytes, each column of X contiguous.</summary>
    private static byte[] QuantizeAtAQuarter(float[] x, int k, int n, int zeroPoint)
    {
        var quantized = new byte[n * k];
        for (int t = 0; t < k; t++)
            for (int j = 0; j < n; j++)
                quantized[j * k + t] = (byte)Math.Clamp(MathF.Round(x[t * n + j] * 4f) + zeroPoint, 0f, 127f);
        return quantized;
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
