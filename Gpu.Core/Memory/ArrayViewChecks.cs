using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Core;

/// <summary>The checks an op makes of its <see cref="View{T}"/> operands (<see cref="Accelerator.CheckView{T}"/>,
/// <see cref="View{T}.Overlaps{TOther}"/>, <see cref="View{T}.SameMemoryAs{TOther}"/>), for ILGPU views: what an
/// op whose public API takes a kernel struct on ILGPU's views checks before a host path reads through them.</summary>
public static class ArrayViewChecks
{
    /// <summary>Throws unless <paramref name="view"/> is empty or a view of a live buffer of <paramref name="accelerator"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="accelerator">The accelerator the op runs on.</param>
    /// <param name="view">The view.</param>
    /// <param name="name">The argument's name for the message.</param>
    /// <exception cref="ObjectDisposedException">The view's buffer, or its accelerator, is disposed.</exception>
    /// <exception cref="ArgumentException">The view belongs to another accelerator, or to no <see cref="DeviceBuffer{T}"/>.</exception>
    public static void CheckView<T>(this Accelerator accelerator, ArrayView<T> view, [CallerArgumentExpression(nameof(view))] string? name = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (view.Length != 0)
            accelerator.CheckAllocation(Allocations.SourceOf(ArrayViewParts<T>.Buffer(ref view)), name ?? nameof(view));
    }

    /// <summary>Whether the two views share at least one byte of memory.</summary>
    /// <typeparam name="T">The view's element type.</typeparam>
    /// <typeparam name="TOther">The other view's element type.</typeparam>
    /// <param name="view">One view.</param>
    /// <param name="other">The other view.</param>
    /// <returns>False when either is empty or they lie in different buffers.</returns>
    public static unsafe bool Overlaps<T, TOther>(this ArrayView<T> view, ArrayView<TOther> other) where T : unmanaged where TOther : unmanaged
    {
        if (view.Length == 0 || other.Length == 0 || !ReferenceEquals(ArrayViewParts<T>.Buffer(ref view), ArrayViewParts<TOther>.Buffer(ref other)))
            return false;
        long start = ArrayViewParts<T>.Index(ref view) * sizeof(T), otherStart = ArrayViewParts<TOther>.Index(ref other) * sizeof(TOther);
        return start < otherStart + other.LengthInBytes && otherStart < start + view.LengthInBytes;
    }

    /// <summary>Whether the two views cover exactly the same bytes (the aliasing element-wise ops accept).</summary>
    /// <typeparam name="T">The view's element type.</typeparam>
    /// <typeparam name="TOther">The other view's element type.</typeparam>
    /// <param name="view">One view.</param>
    /// <param name="other">The other view.</param>
    /// <returns>True for the same memory, element for element.</returns>
    public static unsafe bool SameMemoryAs<T, TOther>(this ArrayView<T> view, ArrayView<TOther> other) where T : unmanaged where TOther : unmanaged
        => ReferenceEquals(ArrayViewParts<T>.Buffer(ref view), ArrayViewParts<TOther>.Buffer(ref other))
            && ArrayViewParts<T>.Index(ref view) * sizeof(T) == ArrayViewParts<TOther>.Index(ref other) * sizeof(TOther)
            && view.LengthInBytes == other.LengthInBytes;
}
