using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>One raw allocation on a device; a backend's side of <see cref="DeviceBuffer{T}"/>.
/// Offsets and counts are in bytes and have been checked by the caller.</summary>
internal abstract unsafe class DeviceMemory : IDisposable
{
    protected DeviceMemory(long bytes) => Bytes = bytes;

    /// <summary>The engine's handle of the memory, which its views' buffer carries as <see cref="ILGPU.Runtime.MemoryBuffer.NativePtr"/>: host address, device address or cl_mem.</summary>
    public abstract nint Handle { get; }

    public long Bytes { get; }

    /// <summary>The ILGPU buffer that ILGPU views of this memory refer to: by default one that only
    /// carries <see cref="Handle"/>; an ILGPU engine's memory gives its own buffer. It lives as long
    /// as this memory and is disposed with it.</summary>
    public virtual MemoryBuffer CreateViewSource() => new EngineMemoryBuffer(Handle, Bytes);

    /// <summary>The user's ILGPU buffer this memory borrows (see <see cref="Ilgpu.IlgpuAccelerator.Adopt{T}"/>),
    /// or null for memory the library allocated: its owner may dispose it while the library still holds views.</summary>
    public virtual MemoryBuffer? Borrowed => null;

    public abstract void CopyFromHost(void* source, long byteOffset, long byteCount);

    public abstract void CopyToHost(void* destination, long byteOffset, long byteCount);

    public abstract void CopyTo(DeviceMemory destination, long sourceOffset, long destinationOffset, long byteCount);

    public abstract void Clear(long byteOffset, long byteCount);

    protected abstract void Free();

    private bool freed;

    public void Dispose()
    {
        if (freed)
            return;
        freed = true;
        Free();
    }
}
