using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Core;

/// <summary>Host access to views of memory the host can address: CPU accelerator buffers.
/// The CPU fast paths of the ops (SIMD code written with System.Runtime.Intrinsics) work on these
/// spans directly instead of going through a kernel launch.</summary>
public static class HostViews
{
    /// <summary>Whether views of <paramref name="accelerator"/>'s buffers are host addresses.</summary>
    /// <param name="accelerator">The accelerator owning the memory.</param>
    /// <returns>True for the CPU accelerator.</returns>
    public static bool IsHostAddressable(this Accelerator accelerator) => accelerator.Device.Kind == DeviceKind.Cpu;

    /// <summary>The elements of an ILGPU view of host-addressable memory as a span: the SIMD paths' access
    /// to the views of kernels written with ILGPU's types.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">A view of a buffer of <paramref name="owner"/>.</param>
    /// <param name="owner">The accelerator whose buffer the view was taken from.</param>
    /// <param name="name">The argument's name for messages.</param>
    /// <returns>The span over the view's elements.</returns>
    /// <exception cref="InvalidOperationException">The owner's memory is not host-addressable.</exception>
    /// <exception cref="ObjectDisposedException">The owner or the view's buffer is disposed.</exception>
    /// <exception cref="ArgumentException">The view is not of a buffer of <paramref name="owner"/>, or longer than a span.</exception>
    public static unsafe Span<T> AsHostSpan<T>(this ArrayView<T> view, Accelerator owner, [CallerArgumentExpression(nameof(view))] string? name = null) where T : unmanaged
    {
        if (!owner.IsHostAddressable())
            throw new InvalidOperationException($"Memory of {owner.Device.Name} is not host-addressable; copy it to the host instead.");
        owner.CheckView(view, name);
        if (view.Length == 0)
            return [];
        if (view.Length > int.MaxValue)
            throw new ArgumentException($"{name} holds {view.Length} elements, more than one span can.", name);
        return new Span<T>((T*)ArrayViewParts<T>.Buffer(ref view)!.NativePtr + ArrayViewParts<T>.Index(ref view), (int)view.Length);
    }
}
