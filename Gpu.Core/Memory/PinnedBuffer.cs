using System.Runtime.InteropServices;

namespace Gpu.Core;

/// <summary>Host memory the device can copy to and from at full speed (page-locked where the
/// runtime supports it), for staging frames and results.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class PinnedBuffer<T> : IDisposable where T : unmanaged
{
    private readonly Action<nint> free;
    private nint pointer;

    internal PinnedBuffer(nint pointer, long length, Action<nint> free)
    {
        this.pointer = pointer;
        this.free = free;
        Length = length;
    }

    /// <summary>Allocates page-aligned host memory that no runtime has page-locked.</summary>
    /// <param name="length">Number of elements.</param>
    internal static PinnedBuffer<T> AllocateAligned(long length)
        => new((nint)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length * sizeof(T)), 4096), length,
            p => NativeMemory.AlignedFree((void*)p));

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The elements.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public Span<T> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(pointer == 0, this);
            return new Span<T>((void*)pointer, checked((int)Length));
        }
    }

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        if (pointer == 0)
            return;
        free(pointer);
        pointer = 0;
    }
}
