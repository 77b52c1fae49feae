namespace Gpu.Core.Translated;

/// <summary>A <see cref="KernelTimer"/> that keeps one device record per launch (an OpenCL event, a
/// CUDA event pair) and reads their times only at <see cref="Stop"/>, so a launch in the region pays
/// for keeping its record and not for a wait.</summary>
/// <typeparam name="TRecord">What the device keeps for one launch.</typeparam>
internal abstract class RecordingKernelTimer<TRecord>(Accelerator accelerator) : KernelTimer
{
    private readonly List<TRecord> records = [];
    private readonly Lock gate = new();
    private bool ended;

    /// <summary>Keeps the record of a launch; one that arrives after the region ended (a launch
    /// racing <see cref="Stop"/> on another thread) is released at once.</summary>
    public void Add(TRecord record)
    {
        lock (gate)
        {
            if (!ended)
            {
                records.Add(record);
                return;
            }
        }
        Release(record);
    }

    public sealed override KernelTime Stop()
    {
        var taken = End() ?? throw new InvalidOperationException("This kernel timer has already ended (stopped, disposed, or its accelerator disposed).");
        try
        {
            long nanoseconds = 0;
            foreach (var record in taken)
                nanoseconds += ElapsedNanoseconds(record);
            return new KernelTime(TimeSpan.FromTicks(nanoseconds / TimeSpan.NanosecondsPerTick), taken.Count);
        }
        finally
        {
            ReleaseAll(taken);
        }
    }

    public sealed override void Dispose()
    {
        if (End() is { } taken)
            ReleaseAll(taken);
    }

    /// <summary>Nanoseconds from the start to the end of one launch on the device's clock, waiting for it.</summary>
    protected abstract long ElapsedNanoseconds(TRecord record);

    /// <summary>Frees what the device kept for one launch.</summary>
    protected abstract void Release(TRecord record);

    /// <summary>Ends the region and hands over its records, or null where it had already ended.</summary>
    private List<TRecord>? End()
    {
        List<TRecord> taken;
        lock (gate)
        {
            if (ended)
                return null;
            ended = true;
            taken = [.. records];
            records.Clear();
        }
        accelerator.CloseKernelTimer(this);
        return taken;
    }

    private void ReleaseAll(List<TRecord> taken)
    {
        foreach (var record in taken)
            Release(record);
    }
}
