using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>One <c>cl_mem</c> buffer. Reads and writes block until the host memory may be reused;
/// copies and clears are queued on the accelerator's in-order queue, which orders them with every
/// launch and read around them.</summary>
internal sealed unsafe class OpenCLMemory : DeviceMemory
{
    private readonly OpenCLContext context;
    private readonly nint buffer;

    /// <summary>Allocates the buffer.</summary>
    /// <param name="context">The accelerator's context and queue.</param>
    /// <param name="maxAllocationBytes">The device's largest single allocation.</param>
    /// <param name="bytes">The size.</param>
    public OpenCLMemory(OpenCLContext context, long maxAllocationBytes, long bytes) : base(bytes)
    {
        this.context = context;
        string action = $"Allocating {bytes} bytes on {context.DeviceName}";
        // A request beyond the device's largest allocation is out of memory for the caller, though
        // OpenCL calls it an invalid size.
        if (bytes > maxAllocationBytes)
            throw new DeviceOutOfMemoryException(OpenCLErrorNames.Get(OpenCLErrorNames.InvalidBufferSize),
                $"{action} (its largest single allocation is {maxAllocationBytes} bytes)");
        int error;
        // OpenCL rejects zero-byte buffers; an empty buffer still needs a distinct cl_mem.
        buffer = context.Api.clCreateBuffer(context.Context, OpenCLApi.MemReadWrite, (nuint)Math.Max(bytes, 1), null, &error);
        if (error is OpenCLErrorNames.OutOfResources)
            throw new DeviceOutOfMemoryException(OpenCLErrorNames.Get(error), action);
        OpenCLApi.Check(error, action);
    }

    /// <summary>The <c>cl_mem</c>, which kernels receive as a buffer argument.</summary>
    public override nint Handle => buffer;

    public override void CopyFromHost(void* source, long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        OpenCLApi.Check(context.Api.clEnqueueWriteBuffer(context.Queue, buffer, 1, (nuint)byteOffset, (nuint)byteCount, source, 0, null, null),
            $"Copying {byteCount} bytes to {context.DeviceName}");
    }

    public override void CopyToHost(void* destination, long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        OpenCLApi.Check(context.Api.clEnqueueReadBuffer(context.Queue, buffer, 1, (nuint)byteOffset, (nuint)byteCount, destination, 0, null, null),
            $"Copying {byteCount} bytes from {context.DeviceName}");
    }

    public override void CopyTo(DeviceMemory destination, long sourceOffset, long destinationOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        var target = (OpenCLMemory)destination;
        OpenCLApi.Check(context.Api.clEnqueueCopyBuffer(context.Queue, buffer, target.buffer, (nuint)sourceOffset, (nuint)destinationOffset, (nuint)byteCount, 0, null, null),
            $"Copying {byteCount} bytes between buffers on {context.DeviceName}");
    }

    public override void Clear(long byteOffset, long byteCount)
    {
        if (byteCount == 0)
            return;
        // The runtime copies the pattern when the command is queued.
        byte zero = 0;
        OpenCLApi.Check(context.Api.clEnqueueFillBuffer(context.Queue, buffer, &zero, 1, (nuint)byteOffset, (nuint)byteCount, 0, null, null),
            $"Clearing {byteCount} bytes on {context.DeviceName}");
    }

    protected override void Free()
    {
        // The runtime keeps the buffer alive until the queued commands using it have finished.
        context.Api.clReleaseMemObject(buffer);
    }
}
