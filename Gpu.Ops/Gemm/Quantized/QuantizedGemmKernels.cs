using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The integer core shared by the quantized kernels: the exact int32 sum
/// <c>Σ_k W[i, k] · (x[j, k] − zeroPoint)</c>, with the activation column j contiguous along K.</summary>
public struct QuantizedOperands
{
    /// <summary>W, M×K int8.</summary>
    public ArrayView<sbyte> Weights;
    /// <summary>Σ_k W[i, k] per row.</summary>
    public ArrayView<int> RowSums;
    /// <summary>Activations, N×K bytes: uint8, or int8 when <see cref="SignedActivations"/> is 1.</summary>
    public ArrayView<byte> Activations;
    /// <summary>1 when the activation bytes are int8 (symmetric, zero point 0).</summary>
    public int SignedActivations;
    /// <summary>The activations' zero point (uint8 only).</summary>
    public int ZeroPoint;
    /// <summary>The reduced dimension.</summary>
    public int K;

    /// <summary>The exact int32 accumulator of output (row, column).</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="row">Row of W.</param>
    /// <param name="column">Activation column.</param>
    /// <returns>Σ_k W[row, k] · (x[column, k] − zero point), wrapping like int32.</returns>
    public static int Accumulate(QuantizedOperands operands, int row, int column)
    {
        int sum = 0;
        int w = row * operands.K, x = column * operands.K;
        for (int k = 0; k < operands.K; k++)
        {
            int activation = operands.Activations[x + k];
            if (operands.SignedActivations != 0 && activation > 127)
                activation -= 256;
            sum += operands.Weights[w + k] * activation;
        }
        return sum - operands.ZeroPoint * operands.RowSums[row];
    }
}

/// <summary><see cref="QuantizedOperands"/> packed for <see cref="PackedInt8.Dot4"/>: weights and
/// activations four int8 to an int along K, so a thread loads a quarter as often and a GPU does
/// four products in one instruction. uint8 activations become int8 by subtracting 128 (the byte
/// with its top bit flipped), so one signed dot product serves both signednesses, and the row
/// sums restore the shift and the zero point: Σ w·(x − zp) = Σ w·(x − 128) + (128 − zp)·Σ w, an
/// identity of wrapping int32 arithmetic too, so the result equals the byte kernel's exactly.</summary>
public struct PackedQuantizedOperands
{
    /// <summary>W, M × <see cref="Words"/> (<see cref="QuantizedWeights.PackedValues"/>).</summary>
    public ArrayView<int> Weights;
    /// <summary>Σ_k W[i, k] per row.</summary>
    public ArrayView<int> RowSums;
    /// <summary>The activations, N × <see cref="Words"/> packed int8, zero padded like the weights.</summary>
    public ArrayView<int> Activations;
    /// <summary>The multiple of a row's sum that completes the product: 128 − zero point for
    /// uint8 activations, 0 for int8.</summary>
    public int RowSumFactor;
    /// <summary>Ints per row of W and per activation column: K / 4 rounded up.</summary>
    public int Words;

    /// <summary>The exact int32 accumulator of output (row, column).</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="row">Row of W.</param>
    /// <param name="column">Activation column.</param>
    /// <returns>The value <see cref="QuantizedOperands.Accumulate"/> returns for the unpacked operands.</returns>
    public static int Accumulate(PackedQuantizedOperands operands, int row, int column)
    {
        int sum = 0;
        int w = row * operands.Words, x = column * operands.Words;
        for (int word = 0; word < operands.Words; word++)
            sum = PackedInt8.Dot4(operands.Weights[w + word], operands.Activations[x + word], sum);
        return sum + operands.RowSumFactor * operands.RowSums[row];
    }
}

/// <summary>The dequantising store <c>Y[i, j] = act(s_w[i] · s_x · acc + bias[i])</c> of the
/// float-output kernels, M×N.</summary>
public struct QuantizedOutput
{
    /// <summary>Per-row weight scales.</summary>
    public ArrayView<float> WeightScales;
    /// <summary>The activations' scale.</summary>
    public float ActivationScale;
    /// <summary>The output, M×N.</summary>
    public ArrayView<float> Y;
    /// <summary>Columns of the output.</summary>
    public int N;
    /// <summary>Scale, bias, activation, and whether Y is added to.</summary>
    public RowEpilogue Epilogue;

    /// <summary>Dequantises one accumulator into Y.</summary>
    /// <param name="output">Where and how.</param>
    /// <param name="row">Output row.</param>
    /// <param name="column">Output column.</param>
    /// <param name="accumulator">The exact int32 accumulator of (row, column).</param>
    public static void Store(QuantizedOutput output, int row, int column, int accumulator)
        => RowEpilogue.Store(output.Epilogue, output.Y, row * output.N + column, output.WeightScales[row] * output.ActivationScale * accumulator, row);
}

/// <summary>Writes the exact int32 accumulators, M×N, one byte product at a time. Launched over N × M.</summary>
public struct QuantizedAccumulateKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedOperands Operands;
    /// <summary>The accumulators, M×N.</summary>
    public ArrayView<int> Accumulators;
    /// <summary>Columns of the output.</summary>
    public int N;

    /// <summary>Computes one accumulator.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row) => Accumulators[row * N + column] = QuantizedOperands.Accumulate(Operands, row, column);
}

/// <summary>Writes the exact int32 accumulators, M×N, four byte products at a time. Launched over N × M.</summary>
public struct PackedQuantizedAccumulateKernel : IKernel2D
{
    /// <summary>The packed integer operands.</summary>
    public PackedQuantizedOperands Operands;
    /// <summary>The accumulators, M×N.</summary>
    public ArrayView<int> Accumulators;
    /// <summary>Columns of the output.</summary>
    public int N;

    /// <summary>Computes one accumulator.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row) => Accumulators[row * N + column] = PackedQuantizedOperands.Accumulate(Operands, row, column);
}

/// <summary>The dequantised product <c>Y = act(s_w[i] · s_x · acc + bias[i])</c>, M×N float, one
/// byte product at a time. Launched over N × M.</summary>
public struct QuantizedGemmKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedOperands Operands;
    /// <summary>Scales, output, bias and activation.</summary>
    public QuantizedOutput Output;

    /// <summary>Computes one output.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row) => QuantizedOutput.Store(Output, row, column, QuantizedOperands.Accumulate(Operands, row, column));
}

/// <summary>The dequantised product of <see cref="QuantizedGemmKernel"/>, four byte products at a
/// time. Launched over N × M.</summary>
public struct PackedQuantizedGemmKernel : IKernel2D
{
    /// <summary>The packed integer operands.</summary>
    public PackedQuantizedOperands Operands;
    /// <summary>Scales, output, bias and activation.</summary>
    public QuantizedOutput Output;

    /// <summary>Computes one output.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row) => QuantizedOutput.Store(Output, row, column, PackedQuantizedOperands.Accumulate(Operands, row, column));
}

/// <summary>The per-tensor uint8 quantization of one float activation: q = clamp(round(x / scale)
/// + zeroPoint, 0, highest), shared by the kernels that write bytes and packed ints so both
/// produce the same values.</summary>
internal struct ActivationQuantizer
{
    /// <summary>1 / scale.</summary>
    public float InverseScale;
    /// <summary>The zero point.</summary>
    public int ZeroPoint;
    /// <summary>The largest quantized value: 255, or 127 for 7-bit (reduced-range) activations.</summary>
    public float Highest;

    /// <summary>Quantizes one value.</summary>
    /// <param name="quantizer">The parameters.</param>
    /// <param name="x">The float.</param>
    /// <returns>The uint8 value, 0–<see cref="Highest"/>.</returns>
    public static byte Quantize(ActivationQuantizer quantizer, float x)
    {
        float scaled = MathF.Round(x * quantizer.InverseScale) + quantizer.ZeroPoint;
        return (byte)(int)(scaled < 0f ? 0f : scaled > quantizer.Highest ? quantizer.Highest : scaled);
    }
}

/// <summary>Writes <see cref="PackedQuantizedOperands.Activations"/> (N × words, the last int of a
/// column zero padded) from activation bytes (N×K), or from float activations X (K×N) that it
/// quantizes on the way, so dynamic quantization needs neither a byte buffer nor a second launch.
/// The top bit of uint8 values is flipped to make them the int8 x − 128. Launched over words × N.</summary>
internal struct PackActivationsKernel : IKernel2D
{
    /// <summary>The bytes, N×K, or empty when the kernel quantizes <see cref="X"/>.</summary>
    public ArrayView<byte> Activations;
    /// <summary>X, K×N floats to quantize, or empty when the kernel packs <see cref="Activations"/>.</summary>
    public ArrayView<float> X;
    /// <summary>Scale, zero point and range of <see cref="X"/>'s uint8 values.</summary>
    public ActivationQuantizer Quantizer;
    /// <summary>The packed ints, N × <see cref="Words"/>.</summary>
    public ArrayView<int> Packed;
    /// <summary>0x80 for uint8 activations, 0 for int8 ones.</summary>
    public int Flip;
    /// <summary>Activation columns.</summary>
    public int N;
    /// <summary>Values per column.</summary>
    public int K;
    /// <summary>Ints per column.</summary>
    public int Words;

    /// <summary>Packs one int.</summary>
    /// <param name="word">Int of the column.</param>
    /// <param name="column">Activation column.</param>
    public void Execute(int word, int column)
    {
        int first = word * 4, packed = 0;
        int count = Math.Min(4, K - first);
        for (int b = 0; b < count; b++)
            packed |= Value(first + b, column) << (8 * b);
        Packed[column * Words + word] = packed;
    }

    /// <summary>Activation (<paramref name="k"/>, <paramref name="column"/>) as the byte of an int8:
    /// quantized from X or read from the bytes, its top bit flipped for uint8 activations.</summary>
    /// <param name="k">Position along K.</param>
    /// <param name="column">Activation column.</param>
    /// <returns>The byte, 0–255.</returns>
    public readonly int Value(int k, int column)
    {
        // Every thread takes the same source, so the choice costs no divergence.
        int value = X.Length != 0 ? ActivationQuantizer.Quantize(Quantizer, X[k * N + column]) : Activations[column * K + k];
        return value ^ Flip;
    }
}
