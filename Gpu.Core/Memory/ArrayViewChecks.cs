using ILGPU;

namespace Gpu.Core;

/// <summary>The aliasing questions the ops ask of their ILGPU view operands before choosing whether
/// they may run in place (with <see cref="Accelerator.CheckView{T}"/>, the checks that replaced the project's own view type).</summary>
public static class ArrayViewChecks
{
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
