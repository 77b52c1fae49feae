using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>int8 weight × 8-bit activation products with int32 accumulation: <c>Y (M×N) = W·X</c>
/// where W is <see cref="QuantizedWeights"/> and the activations are N×K bytes (each column of X
/// contiguous along K), uint8 with a zero point or symmetric int8.</summary>
public static class QuantizedGemm
{
    /// <summary>The exact int32 accumulators <c>Σ_k W[i, k]·(x[j, k] − zeroPoint)</c>, M×N.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="activations">N×K bytes.</param>
    /// <param name="n">Activation columns.</param>
    /// <param name="signedActivations">Whether the bytes are int8 (then the zero point must be 0).</param>
    /// <param name="zeroPoint">The uint8 zero point, 0–255.</param>
    /// <param name="accumulators">M×N int32, overwritten.</param>
    public static unsafe void Accumulate(Accelerator accelerator, QuantizedWeights weights, ArrayView<byte> activations, int n,
        bool signedActivations, int zeroPoint, ArrayView<int> accumulators)
    {
        var operands = Operands(accelerator, weights, activations, n, signedActivations, zeroPoint);
        Require("accumulators", accumulators.Length, (long)weights.Rows * n);
        accelerator.CheckView(accumulators);
        OperandChecks.Disjoint(activations, accumulators);
        int* output = accelerator.IsHostAddressable() ? Cpu.CpuRows.Pointer(accumulators) : null;
        if (CpuQuantizedGemm.TryRun(accelerator, operands, weights.Rows, n, sevenBitActivations: false,
                (row, sums) => Buffer.MemoryCopy(sums, output + (long)row * n, (long)n * sizeof(int), (long)n * sizeof(int))))
            return;
        if (accelerator.IsHostAddressable())
        {
            accelerator.Launch(n, weights.Rows, new QuantizedAccumulateKernel { Operands = operands, Accumulators = accumulators, N = n });
            return;
        }
        if (UsesPanels(accelerator, n))
        {
            using var transposedActivations = Transpose(accelerator, weights, operands, n, out var transposed);
            LaunchPanels(accelerator, transposed, new QuantizedAccumulatorStore { Accumulators = accumulators, N = n });
            return;
        }
        using var packedActivations = Pack(accelerator, weights, operands, n, out var packed);
        accelerator.Launch(n, weights.Rows, new PackedQuantizedAccumulateKernel { Operands = packed, Accumulators = accumulators, N = n });
    }

    /// <summary>The dequantised product <c>Y = act(s_w[i]·activationScale·acc + bias[i])</c>.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="activations">N×K bytes.</param>
    /// <param name="n">Activation columns.</param>
    /// <param name="signedActivations">Whether the bytes are int8 (then the zero point must be 0).</param>
    /// <param name="zeroPoint">The uint8 zero point.</param>
    /// <param name="activationScale">The activations' scale: x ≈ scale·(q − zeroPoint).</param>
    /// <param name="y">M×N floats, overwritten or added to.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="output">Whether Y is overwritten or the product added to it (before the bias and activation).</param>
    public static void Multiply(Accelerator accelerator, QuantizedWeights weights, ArrayView<byte> activations, int n,
        bool signedActivations, int zeroPoint, float activationScale, ArrayView<float> y, ArrayView<float> bias = default, Activation activation = default,
        ProductOutput output = ProductOutput.Overwrite)
    {
        var operands = Operands(accelerator, weights, activations, n, signedActivations, zeroPoint);
        var store = Output(accelerator, weights, n, activationScale, y, bias, activation, output);
        OperandChecks.Disjoint(activations, y);
        Multiply(accelerator, weights, operands, n, store, sevenBitActivations: false);
    }

    /// <summary>Dynamic quantization, as PyTorch's dynamic-quantized Linear: X (K×N floats) is
    /// quantized per tensor over [min(x, 0), max(x, 0)] to 7-bit values (0–127, PyTorch's
    /// reduce_range on x86, which lets the CPU use the exact vpmaddubsw path), then multiplied.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">K×N floats.</param>
    /// <param name="n">Columns of X.</param>
    /// <param name="y">M×N floats, overwritten or added to.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="output">Whether Y is overwritten or the product added to it (before the bias and activation).</param>
    public static void MultiplyDynamic(Accelerator accelerator, QuantizedWeights weights, ArrayView<float> x, int n, ArrayView<float> y,
        ArrayView<float> bias = default, Activation activation = default, ProductOutput output = ProductOutput.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        if (n <= 0)
            throw new ArgumentException($"The product needs a positive number of columns, got N={n}.");
        Require("X", x.Length, (long)weights.Columns * n);
        accelerator.CheckView(x);
        OperandChecks.Disjoint(x, y);
        var (scale, zeroPoint) = ActivationQuantization.Choose(accelerator, x, DynamicHighest);
        var store = Output(accelerator, weights, n, scale, y, bias, activation, output);
        var quantizer = new ActivationQuantizer { InverseScale = 1f / scale, ZeroPoint = zeroPoint, Highest = DynamicHighest };
        int k = weights.Columns;
        if (UsesPanels(accelerator, n))
        {
            // The transposing kernel quantizes X itself, as the packing kernel below does.
            using var transposedActivations = Transpose(accelerator, weights, new PackActivationsKernel { X = x, Quantizer = quantizer }, n,
                signedActivations: false, zeroPoint, out var transposed);
            LaunchPanels(accelerator, transposed, new QuantizedOutputStore { Output = store });
            return;
        }
        if (!accelerator.IsHostAddressable())
        {
            // The packed kernel reads only ints: the packing kernel quantizes X itself rather than
            // read back bytes a quantizing kernel wrote.
            using var packedActivations = Pack(accelerator, weights, new PackActivationsKernel { X = x, Quantizer = quantizer }, n,
                signedActivations: false, zeroPoint, out var packed);
            accelerator.Launch(n, weights.Rows, new PackedQuantizedGemmKernel { Operands = packed, Output = store });
            return;
        }
        using var quantized = accelerator.Allocate<byte>((long)k * n);
        CpuQuantizedGemm.QuantizeTransposed(x, quantized.View, n, k, quantizer);
        var operands = Operands(accelerator, weights, quantized.View, n, signedActivations: false, zeroPoint);
        Multiply(accelerator, weights, operands, n, store, sevenBitActivations: true);
    }

    /// <summary>The largest activation value of <see cref="MultiplyDynamic"/>: 7 bits, which its CPU
    /// path is told rather than scans for.</summary>
    private const int DynamicHighest = 127;

    /// <summary>Runs the dequantised product of validated operands on the accelerator's path.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="operands">The validated byte operands.</param>
    /// <param name="n">Activation columns.</param>
    /// <param name="output">The validated output.</param>
    /// <param name="sevenBitActivations">Whether every activation is known to be at most 127, which
    /// spares the CPU path its scan for them.</param>
    private static unsafe void Multiply(Accelerator accelerator, QuantizedWeights weights, QuantizedOperands operands, int n, QuantizedOutput output,
        bool sevenBitActivations)
    {
        if (accelerator.IsHostAddressable())
        {
            float* outputRows = Cpu.CpuRows.Pointer(output.Y), scales = Cpu.CpuRows.Pointer(output.WeightScales);
            if (!CpuQuantizedGemm.TryRun(accelerator, operands, weights.Rows, n, sevenBitActivations, (row, sums) =>
                {
                    float scale = scales[row] * output.ActivationScale;
                    float* outputRow = outputRows + (long)row * n;
                    var epilogue = new Cpu.CpuRows.HostRowEpilogue(output.Epilogue);
                    float* previous = epilogue.KeepPrevious(outputRow, n);
                    for (int j = 0; j < n; j++)
                        outputRow[j] = scale * sums[j];
                    epilogue.Finish(outputRow, n, row, previous);
                }))
                accelerator.Launch(n, weights.Rows, new QuantizedGemmKernel { Operands = operands, Output = output });
            return;
        }
        if (UsesPanels(accelerator, n))
        {
            using var transposedActivations = Transpose(accelerator, weights, operands, n, out var transposed);
            LaunchPanels(accelerator, transposed, new QuantizedOutputStore { Output = output });
            return;
        }
        using var packedActivations = Pack(accelerator, weights, operands, n, out var packed);
        accelerator.Launch(n, weights.Rows, new PackedQuantizedGemmKernel { Operands = packed, Output = output });
    }

    /// <summary>Whether the product takes the panel schedule of <see cref="QuantizedPanelOperands"/>: on OpenCL
    /// runtimes on a host CPU, where the packed kernels' one-output-per-item loops stay scalar, for
    /// outputs of at least <see cref="QuantizedPanelOperands.Columns"/> columns.</summary>
    private static bool UsesPanels(Accelerator accelerator, int n)
        => accelerator.Device.PrefersBarrierFreeSchedule() && QuantizedPanelOperands.Suits(n);

    /// <summary>Launches the panel kernel over the whole output.</summary>
    internal static void LaunchPanels<TStore>(Accelerator accelerator, QuantizedPanelOperands operands, TStore store) where TStore : struct, IQuantizedPanelStore
        => accelerator.Launch(QuantizedPanelOperands.RowBlocks(operands.M), QuantizedPanelOperands.ColumnBlocks(operands.N),
            new QuantizedPanelKernel<TStore> { Operands = operands, Output = store });

    /// <summary>The operands of the panel kernel: the activations in blocks of K × 8 (int8 values as floats) in
    /// a buffer the caller disposes once its launch is queued.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="operands">The validated byte operands.</param>
    /// <param name="n">Activation columns.</param>
    /// <param name="transposed">The operands, reading the returned buffer.</param>
    /// <returns>The transposed activations.</returns>
    internal static DeviceBuffer<float> Transpose(Accelerator accelerator, QuantizedWeights weights, QuantizedOperands operands, int n, out QuantizedPanelOperands transposed)
        => Transpose(accelerator, weights, new PackActivationsKernel { Activations = operands.Activations }, n, operands.SignedActivations != 0, operands.ZeroPoint, out transposed);

    /// <summary>Runs <paramref name="source"/>, given only its activations (bytes or floats to
    /// quantize), transposing into a new buffer.</summary>
    private static DeviceBuffer<float> Transpose(Accelerator accelerator, QuantizedWeights weights, PackActivationsKernel source, int n,
        bool signedActivations, int zeroPoint, out QuantizedPanelOperands transposed)
    {
        int slots = QuantizedPanelOperands.ColumnBlocks(n) * QuantizedPanelOperands.Columns;
        var activations = accelerator.Allocate<float>((long)weights.Columns * slots);
        accelerator.Launch(slots, weights.Columns, new PanelActivationsKernel
        {
            Source = source with { Flip = signedActivations ? 0 : 0x80, N = n, K = weights.Columns },
            Transposed = activations.View,
        });
        transposed = new QuantizedPanelOperands
        {
            Weights = weights.Panels.View, RowSums = weights.RowSums.View, Activations = activations.View,
            RowSumFactor = (signedActivations ? 0 : 128) - zeroPoint, M = weights.Rows, K = weights.Columns, N = n,
        };
        return activations;
    }

    /// <summary>The validated dequantising store into <paramref name="y"/>.</summary>
    private static QuantizedOutput Output(Accelerator accelerator, QuantizedWeights weights, int n, float activationScale, ArrayView<float> y, ArrayView<float> bias, Activation activation,
        ProductOutput output)
    {
        Require("Y", y.Length, (long)weights.Rows * n);
        if (bias.Length != 0)
            Require("the bias", bias.Length, weights.Rows);
        accelerator.CheckView(y);
        accelerator.CheckView(bias);
        OperandChecks.Disjoint(bias, y);
        return new QuantizedOutput
        {
            WeightScales = weights.Scales.View, ActivationScale = activationScale, Y = y, N = n, Epilogue = RowEpilogue.Create(default, bias, activation, output),
        };
    }

    private static QuantizedOperands Operands(Accelerator accelerator, QuantizedWeights weights, ArrayView<byte> activations, int n, bool signedActivations, int zeroPoint)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        if (n <= 0)
            throw new ArgumentException($"The product needs a positive number of columns, got N={n}.");
        Require("the activations", activations.Length, (long)weights.Columns * n);
        accelerator.CheckView(activations);
        accelerator.CheckView(weights.Values.View, nameof(weights));
        if (signedActivations ? zeroPoint != 0 : zeroPoint is < 0 or > 255)
            throw new ArgumentException($"Zero point {zeroPoint} is invalid: 0 for int8 activations, 0–255 for uint8.", nameof(zeroPoint));
        return new QuantizedOperands
        {
            Weights = weights.Values.View, RowSums = weights.RowSums.View, Activations = activations,
            SignedActivations = signedActivations ? 1 : 0, ZeroPoint = zeroPoint, K = weights.Columns,
        };
    }

    /// <summary>The operands of the packed kernels, which every device whose memory the host
    /// cannot address runs: GPUs, and OpenCL on a CPU such as PoCL for outputs narrower than
    /// <see cref="QuantizedPanelOperands.Columns"/> columns (wider ones take the panel kernel there, see <see cref="UsesPanels"/>). The activations are packed into a buffer the
    /// caller disposes once its launch is queued; the weights were packed when they were quantized.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="operands">The validated byte operands.</param>
    /// <param name="n">Activation columns.</param>
    /// <param name="packed">The packed operands, reading the returned buffer.</param>
    /// <returns>The packed activations.</returns>
    internal static DeviceBuffer<int> Pack(Accelerator accelerator, QuantizedWeights weights, QuantizedOperands operands, int n, out PackedQuantizedOperands packed)
        => Pack(accelerator, weights, new PackActivationsKernel { Activations = operands.Activations }, n, operands.SignedActivations != 0, operands.ZeroPoint, out packed);

    /// <summary>Runs <paramref name="source"/>, a packing kernel given only its activations (bytes or
    /// floats to quantize), into a new buffer.</summary>
    private static DeviceBuffer<int> Pack(Accelerator accelerator, QuantizedWeights weights, PackActivationsKernel source, int n,
        bool signedActivations, int zeroPoint, out PackedQuantizedOperands packed)
    {
        int words = weights.PackedColumns;
        var activations = accelerator.Allocate<int>((long)words * n);
        accelerator.Launch(words, n, source with
        {
            Packed = activations.View, Flip = signedActivations ? 0 : 0x80, N = n, K = weights.Columns, Words = words,
        });
        packed = new PackedQuantizedOperands
        {
            Weights = weights.PackedValues.View, RowSums = weights.RowSums.View, Activations = activations.View,
            RowSumFactor = (signedActivations ? 0 : 128) - zeroPoint, Words = words,
        };
        return activations;
    }

    private static void Require(string what, long actual, long expected)
    {
        if (actual != expected)
            throw new ArgumentException($"{what} holds {actual} elements; the product needs {expected}.");
    }
}
