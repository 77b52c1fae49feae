using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core.Cpu;

/// <summary>The element accessors the CPU engine's specialised loops call in place of ILGPU's view indexers
/// (<see cref="KernelLoopCompiler"/>). ILGPU's host indexer runs two <c>Trace.Assert</c> calls per access
/// (range, and a CPU buffer), which the JIT cannot remove; these keep the range check as a compare and a
/// branch that throws <see cref="IndexOutOfRangeException"/>, and leave the buffer check to the launch,
/// which refuses views of a disposed buffer or of another accelerator.</summary>
internal static unsafe class CpuViewAccess
{
    /// <summary>The element at <paramref name="index"/>, as <c>view[index]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T>(scoped ref ArrayView<T> view, long index) where T : unmanaged
    {
        // The view is a stack copy of a kernel field, so its length and index stay in registers; the
        // buffer's native pointer is one load from a heap object.
        long length = view.Length;
        if ((ulong)index >= (ulong)length)
            ThrowOutOfRange(index, length);
        return ref Unsafe.Add(ref Unsafe.AsRef<T>((void*)ArrayViewParts<T>.Buffer(ref view)!.NativePtr), (nint)(ArrayViewParts<T>.Index(ref view) + index));
    }

    /// <summary>The element at <paramref name="index"/>, as <c>view[index]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T>(scoped ref ArrayView<T> view, int index) where T : unmanaged => ref Item(ref view, (long)index);

    /// <summary>The element at <paramref name="index"/>, as <c>view[index]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T>(scoped ref ArrayView<T> view, Index1D index) where T : unmanaged => ref Item(ref view, (long)index.X);

    /// <summary>The element at <paramref name="index"/>, as <c>view[index]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T>(scoped ref ArrayView<T> view, LongIndex1D index) where T : unmanaged => ref Item(ref view, index.X);

    /// <summary>The element at <paramref name="index"/> of a 2D view, as <c>view[index]</c>: each coordinate
    /// is checked against the extent, as ILGPU's checked stride does, then the base view's range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T, TStride>(scoped ref ArrayView2D<T, TStride> view, Index2D index)
        where T : unmanaged where TStride : struct, IStride2D
    {
        var extent = view.Extent;
        if ((ulong)index.X >= (ulong)extent.X || (ulong)index.Y >= (ulong)extent.Y)
            ThrowOutOfRange(index, extent);
        var baseView = view.BaseView;
        return ref Item(ref baseView, (long)view.Stride.ComputeElementIndex(index));
    }

    /// <summary>The element at (<paramref name="x"/>, <paramref name="y"/>) of a 2D view, as <c>view[x, y]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T, TStride>(scoped ref ArrayView2D<T, TStride> view, int x, int y)
        where T : unmanaged where TStride : struct, IStride2D => ref Item(ref view, new Index2D(x, y));

    /// <summary>The element at <paramref name="index"/> of a 3D view, as <c>view[index]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T, TStride>(scoped ref ArrayView3D<T, TStride> view, Index3D index)
        where T : unmanaged where TStride : struct, IStride3D
    {
        var extent = view.Extent;
        if ((ulong)index.X >= (ulong)extent.X || (ulong)index.Y >= (ulong)extent.Y || (ulong)index.Z >= (ulong)extent.Z)
            ThrowOutOfRange(index, extent);
        var baseView = view.BaseView;
        return ref Item(ref baseView, (long)view.Stride.ComputeElementIndex(index));
    }

    /// <summary>The element at (<paramref name="x"/>, <paramref name="y"/>, <paramref name="z"/>) of a 3D view, as <c>view[x, y, z]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Item<T, TStride>(scoped ref ArrayView3D<T, TStride> view, int x, int y, int z)
        where T : unmanaged where TStride : struct, IStride3D => ref Item(ref view, new Index3D(x, y, z));

    [DoesNotReturn]
    private static void ThrowOutOfRange(long index, long length)
        => throw new IndexOutOfRangeException($"Index {index} is outside a view of {length} elements.");

    [DoesNotReturn]
    private static void ThrowOutOfRange(object index, object extent)
        => throw new IndexOutOfRangeException($"Index {index} is outside a view of extent {extent}.");
}
