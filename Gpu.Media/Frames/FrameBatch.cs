namespace Gpu.Media.Frames;

/// <summary>
/// N frames of one format as planar float RGB in [0, 1], laid out NCHW ([N, 3, H, W]) in one pinned
/// array, so a model can upload the whole batch with one copy. Batches come from a
/// <see cref="FrameBatchPool"/>; disposing one gives its array back to the pool for the next batch.
/// </summary>
public sealed class FrameBatch : IDisposable
{
    private readonly FrameBatchPool? pool;
    private float[]? data;

    internal FrameBatch(FrameFormat format, int count, float[] data, FrameBatchPool? pool)
    {
        Format = format;
        Count = count;
        this.data = data;
        this.pool = pool;
    }

    /// <summary>Size and source depth shared by every frame of the batch.</summary>
    public FrameFormat Format { get; }

    /// <summary>Frames held (N of NCHW).</summary>
    public int Count { get; internal set; }

    /// <summary>Index of the first frame in the run (decode order); frames of a batch are consecutive.</summary>
    public long FirstFrameIndex { get; internal set; }

    /// <summary>
    /// The array behind the batch: pinned, so its address stays valid for asynchronous copies to a
    /// device. It may be longer than the frames held (the last batch of a run is often short, and
    /// keeps the full batch's array so it can be reused): the frames are its first
    /// <see cref="Length"/> floats.
    /// </summary>
    public float[] Data => data ?? throw new ObjectDisposedException(nameof(FrameBatch));

    /// <summary>Floats of the frames held: <see cref="Count"/> × <see cref="FrameFormat.FloatsPerFrame"/>.</summary>
    public int Length => Count * Format.FloatsPerFrame;

    /// <summary>All frames held, NCHW.</summary>
    public Span<float> Pixels => Data.AsSpan(0, Length);

    /// <summary>One frame's three planes, R then G then B, each row-major.</summary>
    public Span<float> Frame(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(n, Count);
        int length = Format.FloatsPerFrame;
        return Data.AsSpan(n * length, length);
    }

    /// <summary>One frame as memory, for code that must hold it beyond a span's scope (delegates, async copies).</summary>
    public Memory<float> FrameMemory(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(n, Count);
        int length = Format.FloatsPerFrame;
        return Data.AsMemory(n * length, length);
    }

    /// <summary>One channel (0 = R, 1 = G, 2 = B) of one frame, row-major.</summary>
    public Span<float> Plane(int n, int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, FrameFormat.Channels);
        int plane = Format.Size.Width * Format.Size.Height;
        return Frame(n).Slice(channel * plane, plane);
    }

    /// <summary>Returns the array to the pool it came from; the batch must not be used afterwards.</summary>
    public void Dispose()
    {
        float[]? array = Interlocked.Exchange(ref data, null);
        if (array is not null)
            pool?.Return(array);
    }
}
