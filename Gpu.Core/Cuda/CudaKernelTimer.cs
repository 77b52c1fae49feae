using Gpu.Core.Cuda.Native;
using Gpu.Core.Translated;

namespace Gpu.Core.Cuda;

/// <summary>Sums <c>cuEventElapsedTime</c> over an event pair recorded around each launch on the
/// launch's own stream (about 0.5 µs resolution a pair).</summary>
internal sealed unsafe class CudaKernelTimer(CudaAccelerator accelerator) : RecordingKernelTimer<CudaKernelTimer.EventPair>(accelerator)
{
    /// <summary>The events recorded before and after one launch.</summary>
    internal readonly record struct EventPair(nint Start, nint End);

    private CudaDriverApi Driver => accelerator.Driver;

    /// <summary>Creates a launch's events and records the first on <paramref name="stream"/>; the
    /// caller is in the accelerator's context and launches next.</summary>
    public EventPair Begin(nint stream)
    {
        var events = new EventPair(Create(), 0);
        try
        {
            events = events with { End = Create() };
            Driver.Check(Driver.cuEventRecord(events.Start, stream), "Recording a kernel timer's start event");
            return events;
        }
        catch
        {
            Release(events);
            throw;
        }
    }

    /// <summary>Records the second event after the launch and keeps the pair.</summary>
    public void End(EventPair events, nint stream)
    {
        int recorded = Driver.cuEventRecord(events.End, stream);
        if (recorded != CudaResultNames.Success)
            Release(events);
        Driver.Check(recorded, "Recording a kernel timer's end event");
        Add(events);
    }

    /// <summary>Destroys the events of a launch that failed, which has nothing to time.</summary>
    public void Discard(EventPair events) => Release(events);

    protected override long ElapsedNanoseconds(EventPair record)
    {
        float milliseconds;
        using (accelerator.Context.Enter())
        {
            Driver.Check(Driver.cuEventSynchronize(record.End), "Waiting for a timed kernel");
            Driver.Check(Driver.cuEventElapsedTime(&milliseconds, record.Start, record.End), "Timing a kernel between CUDA events");
        }
        return (long)(milliseconds * 1e6);
    }

    /// <summary>Destroys the pair's events (either may not have been created yet).</summary>
    protected override void Release(EventPair record)
    {
        using (accelerator.Context.Enter())
        {
            if (record.Start != 0)
                Driver.cuEventDestroy(record.Start);
            if (record.End != 0)
                Driver.cuEventDestroy(record.End);
        }
    }

    private nint Create()
    {
        nint created;
        Driver.Check(Driver.cuEventCreate(&created, CudaDriverApi.EventDefault), "Creating a kernel timer's event");
        return created;
    }
}
