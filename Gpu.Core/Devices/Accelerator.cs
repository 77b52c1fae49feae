using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Core;

/// <summary>An opened device: allocates memory and launches kernels. Launches may run
/// asynchronously; <see cref="Synchronize"/> waits for them, and copies to the host wait for the
/// work queued before them. Disposing frees every buffer still alive.</summary>
public abstract class Accelerator : IDisposable
{
    private readonly HashSet<IDisposable> liveBuffers = [];
    private readonly Lock gate = new();
    private KernelTimer? openTimer;
    private bool disposed;

    /// <summary>Creates the accelerator of a device.</summary>
    /// <param name="device">The device it drives.</param>
    protected Accelerator(Device device)
    {
        Device = device;
        Scratch = new ScratchPool(this);
    }

    /// <summary>The buffers kept for <see cref="RentScratch{T}"/>.</summary>
    internal ScratchPool Scratch { get; }

    /// <summary>The device it drives.</summary>
    public Device Device { get; }

    /// <summary>Allocates <paramref name="length"/> uninitialised elements.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">Number of elements, ≥ 0.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative, or its size in bytes exceeds <see cref="long.MaxValue"/>.</exception>
    /// <exception cref="DeviceOutOfMemoryException">The device has no room.</exception>
    public unsafe DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > long.MaxValue / sizeof(T))
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"{length} elements of {sizeof(T)} bytes exceed the {long.MaxValue}-byte limit of one allocation.");
        return Register<T>(AllocateMemory(length * sizeof(T)), length);
    }

    /// <summary>A buffer of <paramref name="length"/> elements over <paramref name="memory"/>, freed with this accelerator.</summary>
    private protected DeviceBuffer<T> Register<T>(DeviceMemory memory, long length) where T : unmanaged
    {
        var buffer = new DeviceBuffer<T>(this, memory, length);
        lock (gate)
            liveBuffers.Add(buffer);
        return buffer;
    }

    /// <summary>Uninitialised memory for the temporaries of one call (an op's panel copies or intermediate
    /// image), taken from buffers this accelerator keeps between calls: dispose it once the launches
    /// that use it are queued, and a later call reuses the memory without allocating or mapping it again.
    /// Only launches and copies queued on this accelerator may touch it, never the host directly, since
    /// the launches of the call that returned it may still be running.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">Number of elements, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or too large.</exception>
    /// <exception cref="DeviceOutOfMemoryException">The device has no room.</exception>
    public ScratchBuffer<T> RentScratch<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new ScratchBuffer<T>(Scratch, Scratch.Take<T>(length), length);
    }

    /// <summary>Allocates a buffer holding a copy of <paramref name="data"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="data">The initial contents.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<T> Allocate<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var buffer = Allocate<T>(data.Length);
        buffer.CopyFromHost(data);
        return buffer;
    }

    /// <summary>Allocates host memory this device copies to and from at full speed.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">Number of elements.</param>
    /// <returns>The host buffer; the caller disposes it.</returns>
    public virtual PinnedBuffer<T> AllocatePinned<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return PinnedBuffer<T>.AllocateAligned(length);
    }

    /// <summary>Runs <paramref name="kernel"/> once for every index in [0, <paramref name="length"/>).</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="length">Number of indices.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int length, in TKernel kernel) where TKernel : struct, IKernel1D
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        KernelViews<TKernel>.Check(this, kernel);
        if (length > 0)
            Launch1D(length, kernel);
    }

    /// <summary>Runs <paramref name="kernel"/> once for every point of a <paramref name="width"/> × <paramref name="height"/> extent.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="width">Extent along x.</param>
    /// <param name="height">Extent along y.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int width, int height, in TKernel kernel) where TKernel : struct, IKernel2D
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        KernelViews<TKernel>.Check(this, kernel);
        if (width > 0 && height > 0)
            Launch2D(width, height, kernel);
    }

    /// <summary>Runs <paramref name="kernel"/> once for every point of a 3D extent.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="width">Extent along x.</param>
    /// <param name="height">Extent along y.</param>
    /// <param name="depth">Extent along z.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int width, int height, int depth, in TKernel kernel) where TKernel : struct, IKernel3D
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        KernelViews<TKernel>.Check(this, kernel);
        if (width > 0 && height > 0 && depth > 0)
            Launch3D(width, height, depth, kernel);
    }

    /// <summary>Runs <paramref name="kernel"/> as groups of cooperating threads.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="extent">Groups and threads per group.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or a group is
    /// larger than <see cref="Device.MaxGroupSize"/>.</exception>
    public void LaunchGrouped<TKernel>(GroupedExtent extent, in TKernel kernel) where TKernel : struct, IGroupKernel
    {
        ThrowIfDisposed();
        extent.Validate();
        if (extent.GroupSize > Device.MaxGroupSize)
            throw new ArgumentOutOfRangeException(nameof(extent), $"A group of {extent.GroupSize} threads exceeds {Device.Name}'s maximum of {Device.MaxGroupSize}.");
        KernelViews<TKernel>.Check(this, kernel);
        LaunchGroupedCore(extent, kernel);
    }

    /// <summary>Throws unless <paramref name="view"/> is empty or was taken from a live buffer of this
    /// accelerator: ops check their operands with it before reading memory through them, so a stale
    /// or foreign view is an exception instead of an access to freed or unrelated memory.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="view">The view.</param>
    /// <param name="name">The argument's name for the message.</param>
    /// <exception cref="ObjectDisposedException">This accelerator, or the view's buffer, is disposed.</exception>
    /// <exception cref="ArgumentException">The view belongs to another accelerator, or to no <see cref="DeviceBuffer{T}"/>.</exception>
    public void CheckView<T>(ArrayView<T> view, [CallerArgumentExpression(nameof(view))] string? name = null) where T : unmanaged
    {
        ThrowIfDisposed();
        if (view.Length != 0)
            CheckAllocation(Allocations.SourceOf(ArrayViewParts<T>.Buffer(ref view)), name ?? nameof(view));
    }

    /// <summary>Throws unless <paramref name="allocation"/> is a live buffer of this accelerator.</summary>
    internal void CheckAllocation(int allocation, string name)
    {
        if (allocation == 0)
            throw new ArgumentException($"{name} is not a view of a DeviceBuffer (nor of an ILGPU buffer adopted by the engine); only such views can be passed to {Device.Name}.", name);
        var owner = Allocations.OwnerOf(allocation)
            ?? throw new ObjectDisposedException(name, $"{name} is a view of a buffer that has been disposed (or whose accelerator has).");
        if (!ReferenceEquals(owner, this))
            throw new ArgumentException($"{name} is a view of a buffer on {owner.Device.Name} (another accelerator); this runs on {Device.Name}. Copy the data through the host.", name);
    }

    /// <summary>Waits until every launch and copy queued so far has finished.</summary>
    public abstract void Synchronize();

    /// <summary>Opens a timed region that reads the device's own clock for every kernel this accelerator
    /// launches until <see cref="KernelTimer.Stop"/>: the device-side kernel time, to set beside the wall
    /// time a host stopwatch gives. OpenCL reads its queue's profiling events, CUDA records an event pair
    /// around each launch; launches outside a region keep no record. Returns null where the engine has no
    /// device clock (the CPU and ILGPU engines, whose kernels are host code).</summary>
    /// <exception cref="InvalidOperationException">A region is already open on this accelerator.</exception>
    public KernelTimer? StartKernelTimer()
    {
        ThrowIfDisposed();
        var timer = CreateKernelTimer();
        if (timer is not null && Interlocked.CompareExchange(ref openTimer, timer, null) is not null)
        {
            timer.Dispose();
            throw new InvalidOperationException($"A kernel timer is already open on {Device.Name}; stop it before starting another.");
        }
        return timer;
    }

    /// <summary>A new timer of this engine, or null where it has no device clock.</summary>
    private protected virtual KernelTimer? CreateKernelTimer() => null;

    /// <summary>The open timed region, which launches add their device records to, or null.</summary>
    private protected KernelTimer? OpenKernelTimer => Volatile.Read(ref openTimer);

    /// <summary>Forgets <paramref name="timer"/> as the open region once it has ended.</summary>
    internal void CloseKernelTimer(KernelTimer timer) => Interlocked.CompareExchange(ref openTimer, null, timer);

    /// <summary>Allocates raw device memory.</summary>
    /// <param name="bytes">Size in bytes.</param>
    private protected abstract DeviceMemory AllocateMemory(long bytes);

    /// <summary>Launches a 1D kernel over a positive length.</summary>
    private protected abstract void Launch1D<TKernel>(int length, in TKernel kernel) where TKernel : struct, IKernel1D;

    /// <summary>Launches a 2D kernel over a non-empty extent.</summary>
    private protected abstract void Launch2D<TKernel>(int width, int height, in TKernel kernel) where TKernel : struct, IKernel2D;

    /// <summary>Launches a 3D kernel over a non-empty extent.</summary>
    private protected abstract void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel) where TKernel : struct, IKernel3D;

    /// <summary>Launches a grouped kernel over a validated extent.</summary>
    private protected abstract void LaunchGroupedCore<TKernel>(GroupedExtent extent, in TKernel kernel) where TKernel : struct, IGroupKernel;

    /// <summary>Releases the backend's context, queues and caches; buffers are already freed.</summary>
    private protected abstract void ReleaseDevice();

    internal void Forget(IDisposable buffer)
    {
        lock (gate)
            liveBuffers.Remove(buffer);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the accelerator is disposed.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>Frees every live buffer and the device context.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        IDisposable[] buffers;
        lock (gate)
            buffers = [.. liveBuffers];
        foreach (var buffer in buffers)
            buffer.Dispose();
        disposed = true;
        // Its records are device objects of the context ReleaseDevice destroys.
        OpenKernelTimer?.Dispose();
        ReleaseDevice();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => Device.ToString();
}
