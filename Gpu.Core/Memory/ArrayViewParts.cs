using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The buffer and element index of an ILGPU view, which ILGPU keeps internal: the host paths
/// need them to find the view's memory and check which <see cref="DeviceBuffer{T}"/> it belongs to.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal static class ArrayViewParts<T> where T : unmanaged
{
    /// <summary>The buffer the view reads (null for the empty default view).</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Buffer")]
    public static extern MemoryBuffer? Buffer(ref ArrayView<T> view);

    /// <summary>The view's first element, counted in elements from the start of its buffer.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Index")]
    public static extern long Index(ref ArrayView<T> view);
}
