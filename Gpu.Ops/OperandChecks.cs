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
    public static void Disjoint<TIn, TOut>(ArrayView<TIn> input, ArrayView<TOut> output,
        [CallerArgumentExpression(nameof(input))] string inputName = "", [CallerArgumentExpression(nameof(output))] string outputName = "")
        where TIn : unmanaged where TOut : unmanaged
    {
        if (output.Overlaps(input))
            throw new ArgumentException($"{outputName} shares memory with {inputName}; this op cannot run in place, so pass disjoint views.", outputName);
    }

    /// <summary>Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly.</summary>
    public static void DisjointOrSame<T>(ArrayView<T> input, ArrayView<T> output,
        [CallerArgumentExpression(nameof(input))] string inputName = "", [CallerArgumentExpression(nameof(output))] string outputName = "")
        where T : unmanaged
    {
        if (output.Overlaps(input) && !output.SameMemoryAs(input))
            throw PartialOverlap(inputName, outputName);
    }

    /// <summary>The elements of <paramref name="view"/> as the thread count of a launch over it, which an
    /// <see cref="int"/> counts; a longer view is refused here rather than wrapped.</summary>
    public static int LaunchCount<T>(ArrayView<T> view, [CallerArgumentExpression(nameof(view))] string name = "") where T : unmanaged
        => view.Length <= int.MaxValue ? (int)view.Length
            : throw new ArgumentException($"{name} holds {view.Length} elements; one launch covers at most {int.MaxValue}.", name);

    private static ArgumentException PartialOverlap(string inputName, string outputName)
        => new($"{outputName} partly overlaps {inputName}; pass the same view (in place) or disjoint views.", outputName);
}
