using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>An allocation of <see cref="Length"/> elements of <typeparamref name="T"/> on one
/// accelerator. Copies are checked: a size mismatch is an <see cref="ArgumentException"/>, use
/// after dispose an <see cref="ObjectDisposedException"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemory memory;
    private MemoryBuffer? viewSource;
    private bool disposed;

    internal DeviceBuffer(Accelerator accelerator, DeviceMemory memory, long length)
    {
        Accelerator = accelerator;
        this.memory = memory;
        Length = length;
        Allocation = Allocations.Register(accelerator, memory.Borrowed);
    }

    /// <summary>The id its views' ILGPU buffer is registered under (<see cref="Allocations.SourceOf"/>).</summary>
    internal int Allocation { get; }

    /// <summary>The accelerator that owns the memory.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes.</summary>
    public long SizeInBytes => Length * sizeof(T);

    /// <summary>Whether <see cref="Dispose"/> has run, or the user's ILGPU buffer it borrows is disposed.</summary>
    public bool IsDisposed => disposed || memory.Borrowed is { IsDisposed: true };

    /// <summary>The whole buffer as an ILGPU view, named as ILGPU names a buffer's view: what ops take and
    /// kernels hold on every engine (docs/ilgpu.md). Sub-views, 2D and 3D views are taken from it with
    /// ILGPU's own methods (<c>SubView</c>, <c>As2DView</c>, <c>As3DDenseXYView</c>).</summary>
    public ArrayView<T> View
    {
        get
        {
            ThrowIfDisposed();
            return new ArrayView<T>(ViewSource, 0, Length);
        }
    }

    /// <summary>The ILGPU buffer its views refer to, made at the first use.</summary>
    private MemoryBuffer ViewSource
    {
        get
        {
            if (viewSource is null)
            {
                var source = memory.CreateViewSource();
                if (Interlocked.CompareExchange(ref viewSource, source, null) is null)
                    Allocations.RegisterSource(source, Allocation);
                else if (!ReferenceEquals(source, viewSource))
                    source.Dispose();
            }
            return viewSource;
        }
    }

    /// <summary>Copies host elements into the buffer starting at element <paramref name="destinationOffset"/>.</summary>
    /// <param name="source">The elements to copy.</param>
    /// <param name="destinationOffset">First element of the buffer written.</param>
    /// <exception cref="ArgumentException">The source does not fit at that offset.</exception>
    public void CopyFromHost(ReadOnlySpan<T> source, long destinationOffset = 0)
    {
        ThrowIfDisposed();
        CheckRange(destinationOffset, source.Length, nameof(source));
        fixed (T* pointer = source)
            memory.CopyFromHost(pointer, destinationOffset * sizeof(T), (long)source.Length * sizeof(T));
    }

    /// <summary>Copies buffer elements starting at <paramref name="sourceOffset"/> to the host, filling <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the elements go; its length is the count copied.</param>
    /// <param name="sourceOffset">First element of the buffer read.</param>
    /// <exception cref="ArgumentException">The buffer has too few elements from that offset.</exception>
    public void CopyToHost(Span<T> destination, long sourceOffset = 0)
    {
        ThrowIfDisposed();
        CheckRange(sourceOffset, destination.Length, nameof(destination));
        fixed (T* pointer = destination)
            memory.CopyToHost(pointer, sourceOffset * sizeof(T), (long)destination.Length * sizeof(T));
    }

    /// <summary>Copies the whole buffer into another of the same length on the same accelerator.</summary>
    /// <param name="destination">The buffer written.</param>
    /// <exception cref="ArgumentException">The lengths or accelerators differ.</exception>
    public void CopyTo(DeviceBuffer<T> destination)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(destination);
        destination.ThrowIfDisposed();
        if (destination.Length != Length)
            throw new ArgumentException($"Cannot copy {Length} elements into a buffer of {destination.Length}.", nameof(destination));
        if (!ReferenceEquals(destination.Accelerator, Accelerator))
            throw new ArgumentException("Device-to-device copies need both buffers on the same accelerator; go through the host.", nameof(destination));
        memory.CopyTo(destination.memory, 0, 0, SizeInBytes);
    }

    /// <summary>Sets every byte of the buffer to zero.</summary>
    public void Clear()
    {
        ThrowIfDisposed();
        memory.Clear(0, SizeInBytes);
    }

    /// <summary>The whole buffer as a new host array.</summary>
    /// <returns>A copy of the elements.</returns>
    public T[] ToArray()
    {
        ThrowIfDisposed();
        if (Length > Array.MaxLength)
            throw new InvalidOperationException($"A buffer of {Length} elements does not fit in one array; copy it in parts.");
        var result = new T[Length];
        CopyToHost(result);
        return result;
    }

    /// <summary>Frees the device memory. Later use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        Allocations.Release(Allocation);
        if (viewSource is not null)
        {
            // A borrowed ILGPU buffer is its owner's to dispose, and its views are the owner's again.
            if (ReferenceEquals(viewSource, memory.Borrowed))
                Allocations.ForgetSource(viewSource);
            else
                viewSource.Dispose();
        }
        memory.Dispose();
        Accelerator.Forget(this);
    }

    private void CheckRange(long start, long count, string parameter)
    {
        if (start < 0 || count < 0 || start > Length || count > Length - start)
            throw new ArgumentException($"Elements [{start}, {start + count}) do not fit in a buffer of {Length}.", parameter);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
