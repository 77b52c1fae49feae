using System.Runtime.InteropServices;

namespace Gpu.Core.Cpu;

/// <summary>Host memory aligned for the widest vector loads.</summary>
internal sealed unsafe class CpuMemory : DeviceMemory
{
    private readonly byte* pointer;

    public CpuMemory(long bytes) : base(bytes)
    {
        try
        {
            pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        }
        catch (OutOfMemoryException)
        {
            throw new DeviceOutOfMemoryException("ENOMEM", $"Allocating {bytes} bytes of host memory");
        }
    }

    public override nint Handle => (nint)pointer;

    public override void CopyFromHost(void* source, long byteOffset, long byteCount)
        => Buffer.MemoryCopy(source, pointer + byteOffset, byteCount, byteCount);

    public override void CopyToHost(void* destination, long byteOffset, long byteCount)
        => Buffer.MemoryCopy(pointer + byteOffset, destination, byteCount, byteCount);

    public override void CopyTo(DeviceMemory destination, long sourceOffset, long destinationOffset, long byteCount)
        => destination.CopyFromHost(pointer + sourceOffset, destinationOffset, byteCount);

    public override void Clear(long byteOffset, long byteCount)
        => NativeMemory.Clear(pointer + byteOffset, (nuint)byteCount);

    protected override void Free() => NativeMemory.AlignedFree(pointer);
}
