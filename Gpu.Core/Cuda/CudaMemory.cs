namespace Gpu.Core.Cuda;

/// <summary>One <c>cuMemAlloc</c> allocation. Its copies and clears run on the legacy default
/// stream, which orders them after every launch queued before them (launches go to the default
/// stream or to blocking <see cref="CudaStream"/>s) and returns once host memory may be reused.</summary>
internal sealed unsafe class CudaMemory : DeviceMemory
{
    private readonly CudaContext context;
    private readonly ulong address;

    public CudaMemory(CudaContext context, long bytes) : base(bytes)
    {
        this.context = context;
        var driver = context.Driver;
        ulong allocated;
        using (context.Enter())
            // cuMemAlloc rejects zero bytes; an empty buffer still needs a distinct address.
            driver.Check(driver.cuMemAlloc(&allocated, (nuint)Math.Max(bytes, 1)), $"Allocating {bytes} bytes on CUDA device {context.Device}");
        address = allocated;
    }

    /// <summary>The device address, which kernels receive as a pointer.</summary>
    public override nint Handle => (nint)address;

    public override void CopyFromHost(void* source, long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        using (context.Enter())
            context.Driver.Check(context.Driver.cuMemcpyHtoD(address + (ulong)byteOffset, source, (nuint)byteCount), $"Copying {byteCount} bytes to the device");
    }

    public override void CopyToHost(void* destination, long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        using (context.Enter())
            context.Driver.Check(context.Driver.cuMemcpyDtoH(destination, address + (ulong)byteOffset, (nuint)byteCount), $"Copying {byteCount} bytes from the device");
    }

    public override void CopyTo(DeviceMemory destination, long sourceOffset, long destinationOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        var target = (CudaMemory)destination;
        using (context.Enter())
            context.Driver.Check(context.Driver.cuMemcpyDtoD(target.address + (ulong)destinationOffset, address + (ulong)sourceOffset, (nuint)byteCount),
                $"Copying {byteCount} bytes between device buffers");
    }

    public override void Clear(long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        using (context.Enter())
            context.Driver.Check(context.Driver.cuMemsetD8(address + (ulong)byteOffset, 0, (nuint)byteCount), $"Clearing {byteCount} device bytes");
    }

    protected override void Free()
    {
        // Not checked: an earlier launch's fault is sticky and would surface here, inside Dispose,
        // where it would stop the other buffers from being freed; the synchronising call after the
        // launch reports it instead.
        using (context.Enter())
            context.Driver.cuMemFree(address);
    }
}
