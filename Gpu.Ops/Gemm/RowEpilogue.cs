using System.Runtime.CompilerServices;
using Gpu.Core;

namespace Gpu.Ops.Gemm;

/// <summary>The epilogue of the weight-times-activations products <c>Y = W·X</c> (sparse,
/// quantized, codebook): <c>act(sum·scale[row] + bias[row])</c>, scale and bias per output row
/// (channel); the scale carries a folded batch norm whose factor a shared codebook cannot absorb.</summary>
public struct RowEpilogue
{
    /// <summary>One factor per row of W, or an empty view for none.</summary>
    public View<float> Scale;
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

    /// <summary>Bundles the parameters with a per-row scale applied before the bias.</summary>
    /// <param name="scale">Per-row factor or empty.</param>
    /// <param name="bias">Per-row bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The epilogue.</returns>
    public static RowEpilogue Create(View<float> scale, View<float> bias, Activation activation) => Create(bias, activation) with { Scale = scale };

    /// <summary>The stored value of a finished sum in <paramref name="row"/>.</summary>
    /// <param name="epilogue">The parameters.</param>
    /// <param name="sum">The row's dot product.</param>
    /// <param name="row">Row of W.</param>
    /// <returns>The output value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(RowEpilogue epilogue, float sum, int row)
    {
        if (epilogue.Scale.Length != 0)
            sum *= epilogue.Scale[row];
        if (epilogue.Bias.Length != 0)
            sum += epilogue.Bias[row];
        return Activation.Apply(epilogue.Kind, epilogue.Slope, sum);
    }
}
