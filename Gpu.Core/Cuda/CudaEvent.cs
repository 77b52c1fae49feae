using Gpu.Core.Cuda.Native;

namespace Gpu.Core.Cuda;

/// <summary>A point in a <see cref="CudaStream"/>'s work, made by <see cref="CudaStream.Record"/>:
/// wait for it from the host or another stream, or time the GPU work between two of them.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly CudaAccelerator accelerator;
    private nint handle;

    internal CudaEvent(CudaAccelerator accelerator)
    {
        this.accelerator = accelerator;
        nint created;
        using (accelerator.Context.Enter())
            accelerator.Driver.Check(accelerator.Driver.cuEventCreate(&created, CudaDriverApi.EventDefault), "Creating a CUDA event");
        handle = created;
        accelerator.Track(this);
    }

    /// <summary>The <c>CUevent</c>.</summary>
    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle == 0, this);
            return handle;
        }
    }

    /// <summary>Blocks until the work before the event has finished.</summary>
    /// <exception cref="GpuException">That work failed.</exception>
    public void Synchronize()
    {
        using (accelerator.Context.Enter())
            accelerator.Driver.Check(accelerator.Driver.cuEventSynchronize(Handle), "Waiting for a CUDA event");
    }

    /// <summary>GPU time from <paramref name="start"/> to this event, in milliseconds (about 0.5 µs
    /// resolution). Both must have been recorded; this waits for this event.</summary>
    /// <param name="start">The earlier event.</param>
    /// <returns>Milliseconds between the two.</returns>
    public double MillisecondsSince(CudaEvent start)
    {
        ArgumentNullException.ThrowIfNull(start);
        Synchronize();
        float milliseconds;
        using (accelerator.Context.Enter())
            accelerator.Driver.Check(accelerator.Driver.cuEventElapsedTime(&milliseconds, start.Handle, Handle), "Timing between CUDA events");
        return milliseconds;
    }

    /// <summary>Destroys the event.</summary>
    public void Dispose()
    {
        if (handle == 0)
            return;
        using (accelerator.Context.Enter())
            accelerator.Driver.Check(accelerator.Driver.cuEventDestroy(handle), "Destroying a CUDA event");
        handle = 0;
        accelerator.Untrack(this);
    }
}
