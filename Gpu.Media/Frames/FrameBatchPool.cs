namespace Gpu.Media.Frames;

/// <summary>
/// Reuses the arrays behind <see cref="FrameBatch"/>es, so a run of same-size frames allocates a
/// fixed set of buffers once. Arrays are pinned (they may be handed to a device copy directly); the
/// pool keeps at most a bounded number of free arrays, so a folder of images of many sizes does not
/// accumulate one buffer per size. Safe to use from several threads.
/// </summary>
public sealed class FrameBatchPool
{
    private readonly LinkedList<float[]> free = new();
    private readonly int maxRetained;

    /// <summary>Creates a pool that keeps at most <paramref name="maxRetained"/> free arrays.</summary>
    public FrameBatchPool(int maxRetained = 32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        this.maxRetained = maxRetained;
    }

    /// <summary>Arrays allocated by this pool so far; a steady run stops adding to it.</summary>
    public int Allocations { get; private set; }

    /// <summary>
    /// A batch of <paramref name="count"/> frames of <paramref name="format"/>; its contents are
    /// whatever the array held before, so the caller writes every frame.
    /// </summary>
    public FrameBatch Rent(FrameFormat format, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long length = (long)format.FloatsPerFrame * count;
        if (length > Array.MaxLength)
            throw new MediaException($"a batch of {count} frames of {format.Size} does not fit in one array; use a smaller batch");
        return new FrameBatch(format, count, Take((int)length), this);
    }

    internal void Return(float[] array)
    {
        lock (free)
        {
            free.AddFirst(array);
            if (free.Count > maxRetained)
                free.RemoveLast();
        }
    }

    private float[] Take(int length)
    {
        lock (free)
        {
            for (var node = free.First; node is not null; node = node.Next)
            {
                if (node.Value.Length == length)
                {
                    free.Remove(node);
                    return node.Value;
                }
            }
            Allocations++;
        }
        return GC.AllocateUninitializedArray<float>(length, pinned: true);
    }
}
