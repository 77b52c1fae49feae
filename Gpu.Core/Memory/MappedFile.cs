using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Gpu.Core;

/// <summary>A file mapped read-only into the address space, handing out slices of it as
/// <see cref="ReadOnlyMemory{T}"/> without copying (weight files larger than memory or 2 GiB).</summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* start;
    private bool disposed;

    private MappedFile(MemoryMappedFile? file, MemoryMappedViewAccessor? view, long length)
    {
        this.file = file;
        this.view = view;
        Length = length;
        if (view is not null)
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            start = pointer + view.PointerOffset;
        }
    }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapping; slices stay valid until it is disposed.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MappedFile Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        // An empty file cannot be mapped; it is still a file of length zero to its readers.
        if (length == 0)
            return new MappedFile(null, null, 0);
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            return new MappedFile(file, file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read), length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary><paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    /// <exception cref="ObjectDisposedException">The mapping was disposed.</exception>
    public ReadOnlyMemory<byte> Slice(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes [{offset}, {offset + length}) lie outside a file of {Length} bytes.");
        return length == 0 ? ReadOnlyMemory<byte>.Empty : new Window(this, start + offset, length).Memory;
    }

    /// <summary>A copy of the <paramref name="length"/> bytes after the 8-byte length prefix that
    /// starts safetensors and similar formats.</summary>
    public ReadOnlyMemory<byte> ReadHeader(int length) => Slice(8, length).ToArray();

    /// <summary>Unmaps the file; slices handed out before must no longer be used.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        file?.Dispose();
    }

    /// <summary>One slice of the mapping as a memory owner, which checks the mapping is still open
    /// whenever a span is taken.</summary>
    private sealed class Window(MappedFile owner, byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(owner.disposed, owner);
            return new Span<byte>(pointer, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(owner.disposed, owner);
            return new MemoryHandle(pointer + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
