using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;

namespace Gpu.Core;

/// <summary>
/// A typed window onto device memory, passed to kernels as a field of the kernel struct.
/// On the CPU it is a host pointer; on a GPU the kernel compiler turns it into a device pointer,
/// so its indexer is only meaningful inside a kernel or on memory the host can address.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[StructLayout(LayoutKind.Sequential)]
public readonly unsafe struct View<T> where T : unmanaged
{
    /// <summary>The backend's handle of the allocation: a host address (CPU), a device address
    /// (CUDA) or a <c>cl_mem</c> (OpenCL).</summary>
    public readonly nint Handle;

    /// <summary>Offset of element 0 of this view from the start of the allocation, in elements.</summary>
    public readonly long Offset;

    /// <summary>Number of elements in the view.</summary>
    public readonly int Length;

    /// <summary>The id of the <see cref="DeviceBuffer{T}"/> the view was taken from, 0 for views made
    /// from raw handles. A plain number rather than a reference keeps the struct unmanaged, as kernels
    /// and the translator need it; <see cref="Accelerator.CheckView{T}"/> looks it up among the live
    /// buffers, so a view outliving its buffer or carried to another device is refused, not followed.</summary>
    internal readonly int Allocation;

    /// <summary>Creates a view of memory no <see cref="DeviceBuffer{T}"/> owns (a kernel's shared
    /// memory, a pinned host array read through a kernel's decoder); the ops refuse such views,
    /// since nothing tells them whether the memory still lives.</summary>
    /// <param name="handle">The backend's allocation handle.</param>
    /// <param name="offset">Offset in elements from the start of the allocation.</param>
    /// <param name="length">Number of elements.</param>
    public View(nint handle, long offset, int length) : this(handle, offset, length, 0)
    {
    }

    internal View(nint handle, long offset, int length, int allocation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Handle = handle;
        Offset = offset;
        Length = length;
        Allocation = allocation;
    }

    /// <summary>Reads or writes element <paramref name="index"/>; unchecked, as on a GPU.</summary>
    /// <param name="index">Element index, 0 ≤ index &lt; <see cref="Length"/>.</param>
    public T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ((T*)Handle)[Offset + index];
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => ((T*)Handle)[Offset + index] = value;
    }

    /// <summary>The same elements as an ILGPU view of the same buffer: how an op that takes <see cref="View{T}"/>
    /// hands its operands to a kernel written with ILGPU's types (docs/ilgpu.md). An empty view made from no
    /// buffer (an absent optional operand) becomes the empty ILGPU view.</summary>
    /// <exception cref="ArgumentException">The view was made from a raw handle, which no ILGPU buffer backs.</exception>
    /// <exception cref="ObjectDisposedException">Its buffer is disposed.</exception>
    public ArrayView<T> AsArrayView()
    {
        if (Allocation == 0)
            return Length == 0 ? default : throw new ArgumentException("A view made from a raw handle has no buffer an ILGPU view could refer to; take the view from a DeviceBuffer.");
        var source = Allocations.ViewSourceOf(Allocation) ?? throw new ObjectDisposedException(nameof(View<T>), "The view's buffer has been disposed.");
        return new ArrayView<T>(source, Offset, Length);
    }

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>.</summary>
    /// <param name="start">First element of the sub-view.</param>
    /// <param name="length">Number of elements.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie inside this view.</exception>
    public View<T> SubView(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start))
            throw new ArgumentOutOfRangeException(nameof(length),
                $"Sub-view [{start}, {start}+{length}) lies outside a view of {Length} elements.");
        return new View<T>(Handle, Offset + start, length, Allocation);
    }

    /// <summary>Whether this view and <paramref name="other"/> share at least one byte of memory;
    /// an op that cannot run in place refuses such an input and output.</summary>
    /// <typeparam name="TOther">The other view's element type.</typeparam>
    /// <param name="other">The other view.</param>
    /// <returns>False when either is empty or they lie in different allocations.</returns>
    public bool Overlaps<TOther>(View<TOther> other) where TOther : unmanaged
    {
        if (Length == 0 || other.Length == 0 || Handle != other.Handle)
            return false;
        long start = Offset * sizeof(T), otherStart = other.Offset * sizeof(TOther);
        return start < otherStart + (long)other.Length * sizeof(TOther) && otherStart < start + (long)Length * sizeof(T);
    }

    /// <summary>Whether <paramref name="other"/> covers exactly the same bytes: the aliasing that
    /// element-wise ops accept, where each output element depends only on the input element it replaces.</summary>
    /// <typeparam name="TOther">The other view's element type.</typeparam>
    /// <param name="other">The other view.</param>
    /// <returns>True for the same memory, element for element.</returns>
    public bool SameMemoryAs<TOther>(View<TOther> other) where TOther : unmanaged
        => Handle == other.Handle && Offset * sizeof(T) == other.Offset * sizeof(TOther) && (long)Length * sizeof(T) == (long)other.Length * sizeof(TOther);

    /// <summary>The same memory seen as a <paramref name="rows"/> × <paramref name="columns"/> matrix.</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="rowStride">Elements between the starts of consecutive rows (≥ columns); 0 means dense.</param>
    public View2D<T> As2D(int rows, int columns, int rowStride = 0) => new(this, rows, columns, rowStride == 0 ? columns : rowStride);

    /// <summary>The same memory seen as a depth × rows × columns volume.</summary>
    /// <param name="depth">Number of slices.</param>
    /// <param name="rows">Rows per slice.</param>
    /// <param name="columns">Columns per row.</param>
    public View3D<T> As3D(int depth, int rows, int columns) => new(this, depth, rows, columns, columns, rows * columns);
}
