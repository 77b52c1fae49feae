using Gpu.Core;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The integer core shared by the quantized kernels: the exact int32 sum
/// <c>Σ_k W[i, k] · (x[j, k] − zeroPoint)</c>, with the activation column j contiguous along K.</summary>
public struct QuantizedOperands
{
    /// <summary>W, M×K int8.</summary>
    public View<sbyte> Weights;
    /// <summary>Σ_k W[i, k] per row.</summary>
    public View<int> RowSums;
    /// <summary>Activations, N×K bytes: uint8, or int8 when <see cref="SignedActivations"/> is 1.</summary>
    public View<byte> Activations;
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

/// <summary>Writes the exact int32 accumulators, M×N. Launched over N × M.</summary>
public struct QuantizedAccumulateKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedOperands Operands;
    /// <summary>The accumulators, M×N.</summary>
    public View<int> Accumulators;
    /// <summary>Columns of the output.</summary>
    public int N;

    /// <summary>Computes one accumulator.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row) => Accumulators[row * N + column] = QuantizedOperands.Accumulate(Operands, row, column);
}

/// <summary>The dequantised product <c>Y = act(s_w[i] · s_x · acc + bias[i])</c>, M×N float.
/// Launched over N × M.</summary>
public struct QuantizedGemmKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedOperands Operands;
    /// <summary>Per-row weight scales.</summary>
    public View<float> WeightScales;
    /// <summary>The activations' scale.</summary>
    public float ActivationScale;
    /// <summary>The output, M×N.</summary>
    public View<float> Y;
    /// <summary>Columns of the output.</summary>
    public int N;
    /// <summary>Bias and activation.</summary>
    public RowEpilogue Epilogue;

    /// <summary>Computes one output.</summary>
    /// <param name="column">Output column.</param>
    /// <param name="row">Output row.</param>
    public void Execute(int column, int row)
    {
        int sum = QuantizedOperands.Accumulate(Operands, row, column);
        Y[row * N + column] = RowEpilogue.Apply(Epilogue, WeightScales[row] * ActivationScale * sum, row);
    }
}

/// <summary>Quantizes float activations X (K×N, row-major) per tensor to uint8, transposing them
/// to N×K so each column is contiguous for the integer dot products. Launched over K × N.</summary>
internal struct QuantizeActivationsKernel : IKernel2D
{
    /// <summary>X, K×N floats.</summary>
    public View<float> X;
    /// <summary>The bytes, N×K.</summary>
    public View<byte> Quantized;
    /// <summary>1 / scale.</summary>
    public float InverseScale;
    /// <summary>The zero point.</summary>
    public int ZeroPoint;
    /// <summary>The largest quantized value: 255, or 127 for 7-bit (reduced-range) activations.</summary>
    public float Highest;
    /// <summary>Columns of X.</summary>
    public int N;
    /// <summary>Rows of X.</summary>
    public int K;

    /// <summary>Quantizes X[k, column].</summary>
    /// <param name="k">Row of X.</param>
    /// <param name="column">Column of X.</param>
    public void Execute(int k, int column)
    {
        float scaled = MathF.Round(X[k * N + column] * InverseScale) + ZeroPoint;
        float clamped = scaled < 0f ? 0f : scaled > Highest ? Highest : scaled;
        Quantized[column * K + k] = (byte)(int)clamped;
    }
}
