using System.Runtime.CompilerServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The element-wise tail every GEMM path applies to a finished dot product:
/// <c>act(α·acc + β·c + bias[column])</c>. A plain struct so kernels carry it as a field.</summary>
public struct GemmEpilogue
{
    /// <summary>Scale of the product.</summary>
    public float Alpha;
    /// <summary>Scale of the previous C; 0 means C is not read (it may hold garbage or NaN).</summary>
    public float Beta;
    /// <summary>Per-column bias, or an empty view for none.</summary>
    public ArrayView<float> Bias;
    /// <summary>The activation applied last.</summary>
    public ActivationKind Kind;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Bundles the epilogue parameters; throws when the bias is neither empty nor N long.</summary>
    /// <param name="columns">Columns of C.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">Per-column bias or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The epilogue.</returns>
    /// <exception cref="ArgumentException">The bias has the wrong length.</exception>
    public static GemmEpilogue Create(int columns, float alpha, float beta, ArrayView<float> bias, Activation activation)
    {
        if (bias.Length != 0 && bias.Length != columns)
            throw new ArgumentException($"The bias holds {bias.Length} elements; it must hold one per column of C ({columns}) or none.", nameof(bias));
        return new GemmEpilogue { Alpha = alpha, Beta = beta, Bias = bias, Kind = activation.Kind, Slope = activation.Slope };
    }

    /// <summary>The final value of C[row, column] given the dot product and the previous C.</summary>
    /// <param name="epilogue">The parameters.</param>
    /// <param name="product">The dot product of row and column.</param>
    /// <param name="previous">C[row, column] before the call (ignored when β = 0).</param>
    /// <param name="column">Column index, for the bias.</param>
    /// <returns>The value stored.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(GemmEpilogue epilogue, float product, float previous, int column)
    {
        float value = epilogue.Alpha * product;
        if (epilogue.Beta != 0f)
            value += epilogue.Beta * previous;
        if (epilogue.Bias.Length != 0)
            value += epilogue.Bias[column];
        return Activation.Apply(epilogue.Kind, epilogue.Slope, value);
    }
}
