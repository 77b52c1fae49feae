namespace Gpu.Core;

/// <summary>The device buffers an accelerator keeps between op calls for their temporaries (panel
/// copies, intermediate images), handed out by <see cref="Accelerator.RentScratch{T}"/>. A fresh
/// buffer costs more than its allocation: the memory is mapped on first touch, which on an OpenCL
/// runtime on a host CPU (PoCL) in a virtual machine takes longer than the kernel that fills it; a
/// buffer taken from the pool is already mapped. Reuse is safe because an accelerator runs its launches
/// and copies in the order they were queued: a buffer returned while launches that use it are still
/// queued is written by the next renter's launches only after those have run. Sizes are rounded up
/// to a power of two so that calls of nearby shapes share buffers, and idle buffers beyond
/// <see cref="MaxIdleBytes"/> are freed rather than kept.</summary>
internal sealed class ScratchPool
{
    private const long SmallestCapacityBytes = 64 * 1024;
    private readonly Dictionary<(Type Element, long Capacity), Stack<IDisposable>> idle = [];
    private readonly Lock gate = new();
    private long idleBytes;

    private readonly Accelerator accelerator;

    /// <summary>The pool of <paramref name="accelerator"/>, keeping at most <paramref name="maxIdleBytes"/>
    /// idle (by default an eighth of the device's memory, at most 1 GiB).</summary>
    public ScratchPool(Accelerator accelerator, long? maxIdleBytes = null)
    {
        this.accelerator = accelerator;
        MaxIdleBytes = maxIdleBytes ?? Math.Min(accelerator.Device.MemoryBytes / 8, 1L << 30);
    }

    /// <summary>Most bytes kept idle.</summary>
    public long MaxIdleBytes { get; }

    /// <summary>Bytes held by idle buffers now.</summary>
    public long IdleBytes
    {
        get
        {
            lock (gate)
                return idleBytes;
        }
    }

    /// <summary>A buffer of at least <paramref name="length"/> elements: an idle one of its size class, or a new one.</summary>
    public unsafe DeviceBuffer<T> Take<T>(long length) where T : unmanaged
    {
        long capacity = CapacityFor(length, sizeof(T));
        lock (gate)
        {
            if (idle.TryGetValue((typeof(T), capacity), out var buffers))
                while (buffers.Count > 0)
                {
                    var buffer = (DeviceBuffer<T>)buffers.Pop();
                    idleBytes -= buffer.SizeInBytes;
                    if (!buffer.IsDisposed)
                        return buffer;
                }
        }
        return accelerator.Allocate<T>(capacity);
    }

    /// <summary>Keeps <paramref name="buffer"/> for a later <see cref="Take{T}"/>, or frees it when the pool is full:
    /// launches still queued on it are safe either way, since each engine frees memory only after them
    /// (OpenCL releases a buffer once the commands using it finish, CUDA's free waits for the device, and the
    /// CPU engines run launches before returning).</summary>
    public void Return<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        if (buffer.IsDisposed)
            return;
        lock (gate)
        {
            if (idleBytes + buffer.SizeInBytes <= MaxIdleBytes)
            {
                var key = (typeof(T), buffer.Length);
                if (!idle.TryGetValue(key, out var buffers))
                    idle[key] = buffers = new Stack<IDisposable>();
                buffers.Push(buffer);
                idleBytes += buffer.SizeInBytes;
                return;
            }
        }
        buffer.Dispose();
    }

    /// <summary>The elements of the size class holding <paramref name="length"/> elements of <paramref name="elementBytes"/> bytes.</summary>
    private static long CapacityFor(long length, int elementBytes)
    {
        // Sizes no device holds are passed on unrounded, for the allocation to refuse.
        if (length > (1L << 61) / elementBytes)
            return length;
        long bytes = Math.Max(length * elementBytes, SmallestCapacityBytes);
        return (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes) / elementBytes;
    }
}

/// <summary>Scratch memory rented for one op call's temporaries (<see cref="Accelerator.RentScratch{T}"/>):
/// dispose it once the launches that use it are queued; the buffer goes back to the accelerator's pool
/// for later launches, which the queue runs after these.</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ScratchBuffer<T> : IDisposable where T : unmanaged
{
    private readonly ScratchPool pool;
    private DeviceBuffer<T>? buffer;

    internal ScratchBuffer(ScratchPool pool, DeviceBuffer<T> buffer, long length)
    {
        this.pool = pool;
        this.buffer = buffer;
        View = buffer.View.SubView(0, length);
    }

    /// <summary>The rented elements, exactly as many as were asked for; uninitialised.</summary>
    public ILGPU.ArrayView<T> View { get; }

    /// <summary>Returns the memory to the pool; launches queued before this still read and write it safely.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref buffer, null) is { } rented)
            pool.Return(rented);
    }
}
