using System.Runtime.CompilerServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops;

/// <summary>The aliasing rules of the ops, stated once: an op whose outputs read more than the
/// input element they replace (a window, a row, a whole matrix) cannot run in place, as
/// TensorPrimitives refuses; element-wise ops accept their output being exactly an input.</summary>
internal static class OperandChecks
{
    /// <summary>Throws when <paramref name="output"/> shares any memory with <paramref name="input"/>.</summary>
    public static void Disjoint<TIn, TOut>(View<TIn> input, View<TOut> output,
        [CallerArgumentExpression(nameof(input))] string inputName = "", [CallerArgumentExpression(nameof(output))] string outputName = "")
        where TIn : unmanaged where TOut : unmanaged
    {
        if (output.Overlaps(input))
            throw new ArgumentException($"{outputName} shares memory with {inputName}; this op cannot run in place, so pass disjoint views.", outputName);
    }

    /// <summary>Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly.</summary>
    public static void DisjointOrSame<T>(View<T> input, View<T> output,
        [CallerArgumentExpression(nameof(input))] string inputName = "", [CallerArgumentExpression(nameof(output))] string outputName = "")
        where T : unmanaged
    {
        if (output.Overlaps(input) && !output.SameMemoryAs(input))
            throw PartialOverlap(inputName, outputName);
    }

    /// <summary>Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly; for ILGPU views.</summary>
    public static void DisjointOrSame<T>(ArrayView<T> input, ArrayView<T> output,
        [CallerArgumentExpression(nameof(input))] string inputName = "", [CallerArgumentExpression(nameof(output))] string outputName = "")
        where T : unmanaged
    {
        if (output.Overlaps(input) && !output.SameMemoryAs(input))
            throw PartialOverlap(inputName, outputName);
    }

    private static ArgumentException PartialOverlap(string inputName, string outputName)
        => new($"{outputName} partly overlaps {inputName}; pass the same view (in place) or disjoint views.", outputName);
}
