using System.Runtime.CompilerServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The epilogue of the weight-times-activations products <c>Y = W·X</c> (sparse,
/// quantized, codebook): <c>act(sum·scale[row] + previous + bias[row])</c>, scale and bias per output row
/// (channel), the previous Y added only by an accumulating product; the scale carries a folded batch
/// norm whose factor a shared codebook cannot absorb.</summary>
public struct RowEpilogue
{
    /// <summary>One factor per row of W, or an empty view for none.</summary>
    public ArrayView<float> Scale;
    /// <summary>One bias per row of W, or an empty view for none.</summary>
    public ArrayView<float> Bias;
    /// <summary>The activation.</summary>
    public ActivationKind Kind;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;
    /// <summary>1 to add Y's previous value (<c>Y = W·X + Y</c>, as an LSTM adds its recurrent term to
    /// gates holding the input projection), 0 to overwrite Y without reading it; an int, as every kernel field is.</summary>
    public int Accumulate;

    /// <summary>Bundles the parameters.</summary>
    /// <param name="bias">Per-row bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The epilogue.</returns>
    public static RowEpilogue Create(ArrayView<float> bias, Activation activation) => new() { Bias = bias, Kind = activation.Kind, Slope = activation.Slope };

    /// <summary>Bundles the parameters with a per-row scale applied before the bias.</summary>
    /// <param name="scale">Per-row factor or empty.</param>
    /// <param name="bias">Per-row bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The epilogue.</returns>
    public static RowEpilogue Create(ArrayView<float> scale, ArrayView<float> bias, Activation activation) => Create(bias, activation) with { Scale = scale };

    /// <summary>Bundles the parameters of a product that scales, adds to Y's previous value or overwrites it, then biases.</summary>
    /// <param name="scale">Per-row factor or empty.</param>
    /// <param name="bias">Per-row bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="output">Whether Y is overwritten or added to.</param>
    /// <returns>The epilogue.</returns>
    public static RowEpilogue Create(ArrayView<float> scale, ArrayView<float> bias, Activation activation, ProductOutput output)
        => Create(scale, bias, activation) with { Accumulate = output == ProductOutput.Accumulate ? 1 : 0 };

    /// <summary>Finishes <paramref name="sum"/> of <paramref name="row"/> into <c>y[index]</c>, reading its previous value only when accumulating.</summary>
    /// <param name="epilogue">The parameters.</param>
    /// <param name="y">The output.</param>
    /// <param name="index">The element of Y.</param>
    /// <param name="sum">The element's dot product.</param>
    /// <param name="row">Row of W.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(RowEpilogue epilogue, ArrayView<float> y, int index, float sum, int row)
        => y[index] = Apply(epilogue, sum, epilogue.Scale.Length != 0 ? epilogue.Scale[row] : 1f, epilogue.Bias.Length != 0 ? epilogue.Bias[row] : 0f,
            epilogue.Accumulate != 0 ? y[index] : 0f);

    /// <summary>The stored value of a finished sum given its row's scale and bias, each applied only
    /// when its view is not empty (so a missing bias leaves −0 as it is), and Y's previous value, added
    /// only when accumulating: host loops read scale and bias once a row, since ILGPU's host indexer checks every access.</summary>
    /// <param name="epilogue">The parameters.</param>
    /// <param name="sum">The row's dot product.</param>
    /// <param name="scale">The row's factor (ignored without one).</param>
    /// <param name="bias">The row's bias (ignored without one).</param>
    /// <param name="previous">Y's value before the product (ignored unless accumulating).</param>
    /// <returns>The output value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(RowEpilogue epilogue, float sum, float scale, float bias, float previous)
    {
        if (epilogue.Scale.Length != 0)
            sum *= scale;
        if (epilogue.Accumulate != 0)
            sum += previous;
        if (epilogue.Bias.Length != 0)
            sum += bias;
        return Activation.Apply(epilogue.Kind, epilogue.Slope, sum);
    }
}
