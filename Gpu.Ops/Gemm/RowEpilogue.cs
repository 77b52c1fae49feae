using System.Runtime.CompilerServices;
using Gpu.Core;

namespace Gpu.Ops.Gemm;

/// <summary>The epilogue of the weight-times-activations products <c>Y = W·X</c> (sparse,
/// quantized, codebook): <c>act(sum + bias[row])</c>, the bias per output row (channel).</summary>
public struct RowEpilogue
{
    /// <summary>One bias per row of W, or an empty view for none.</summary>
    public View<float> Bias;
    /// <summary>The activation.</summary>
    public ActivationKind Kind;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Bundles the parameters.</summary>
    /// <param name="bias">Per-row bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The epilogue.</returns>
    public static RowEpilogue Create(View<float> bias, Activation activation) => new() { Bias = bias, Kind = activation.Kind, Slope = activation.Slope };

    /// <summary>The stored value of a finished sum in <paramref name="row"/>.</summary>
    /// <param name="epilogue">The parameters.</param>
    /// <param name="sum">The row's dot product.</param>
    /// <param name="row">Row of W.</param>
    /// <returns>The output value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(RowEpilogue epilogue, float sum, int row)
    {
        if (epilogue.Bias.Length != 0)
            sum += epilogue.Bias[row];
        return Activation.Apply(epilogue.Kind, epilogue.Slope, sum);
    }
}
