namespace Gpu.Core.Cuda;

/// <summary>A CUDA stream: a queue of copies and launches that runs in order, alongside other
/// streams. Uploading the next batch on one stream while a kernel runs on another and the previous
/// result downloads on a third keeps the copy engines and the SMs busy together.
/// <para>Work on a stream is ordered only within it. It does wait for work on the accelerator's
/// default queue (plain <see cref="Accelerator.Launch{TKernel}(int, in TKernel)"/> and the
/// synchronous buffer copies), and they wait for it; between streams, order with
/// <see cref="Record"/> and <see cref="Wait"/>. Asynchronous copies return at once: the host memory
/// must be <see cref="Accelerator.AllocatePinned{T}"/> memory, left untouched until the stream
/// (or an event recorded after the copy) is synchronised.</para></summary>
/// <example><code>
/// using var upload = CudaStream.Create(accelerator);
/// upload.CopyFromHostAsync(pinnedFrame, deviceFrame);
/// upload.Launch((int)deviceFrame.Length, kernel);
/// upload.CopyToHostAsync(deviceResult, pinnedResult);
/// upload.Synchronize();
/// </code></example>
public sealed unsafe class CudaStream : IDisposable
{
    private nint handle;

    private CudaStream(CudaAccelerator accelerator)
    {
        Accelerator = accelerator;
        var driver = accelerator.Driver;
        nint created;
        using (accelerator.Context.Enter())
            driver.Check(driver.cuStreamCreate(&created, Native.CudaDriverApi.StreamDefault), "Creating a CUDA stream");
        handle = created;
        accelerator.Track(this);
    }

    /// <summary>The accelerator whose context the stream belongs to.</summary>
    internal CudaAccelerator Accelerator { get; }

    /// <summary>The <c>CUstream</c>.</summary>
    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle == 0, this);
            return handle;
        }
    }

    /// <summary>Creates a stream on a CUDA accelerator.</summary>
    /// <param name="accelerator">An accelerator opened from a <c>cuda:N</c> device.</param>
    /// <returns>The stream; dispose it, or it goes with the accelerator.</returns>
    /// <exception cref="ArgumentException">The accelerator is not a CUDA one.</exception>
    public static CudaStream Create(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator is not CudaAccelerator cuda)
            throw new ArgumentException($"{accelerator.Device.Name} is not a CUDA device; streams exist only on cuda:N accelerators.", nameof(accelerator));
        cuda.ThrowIfClosed();
        return new CudaStream(cuda);
    }

    /// <summary>Queues a copy of the whole of <paramref name="source"/> into <paramref name="destination"/> from element <paramref name="destinationOffset"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">Pinned host memory, left untouched until the copy completes.</param>
    /// <param name="destination">A buffer of this stream's accelerator.</param>
    /// <param name="destinationOffset">First element written.</param>
    /// <exception cref="ArgumentException">The source does not fit, or the buffer belongs to another accelerator.</exception>
    public void CopyFromHostAsync<T>(PinnedBuffer<T> source, DeviceBuffer<T> destination, long destinationOffset = 0) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        ulong address = DeviceAddress(destination, destinationOffset, source.Length, nameof(destination));
        if (source.Length == 0)
            return;
        using (Enter())
        fixed (T* host = source.Span)
            Check(Accelerator.Driver.cuMemcpyHtoDAsync(address, host, (nuint)(source.Length * sizeof(T)), Handle), "Queueing a host-to-device copy");
    }

    /// <summary>Queues a copy filling <paramref name="destination"/> from <paramref name="source"/> starting at element <paramref name="sourceOffset"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">A buffer of this stream's accelerator.</param>
    /// <param name="destination">Pinned host memory, valid once the stream is synchronised.</param>
    /// <param name="sourceOffset">First element read.</param>
    /// <exception cref="ArgumentException">The buffer has too few elements, or belongs to another accelerator.</exception>
    public void CopyToHostAsync<T>(DeviceBuffer<T> source, PinnedBuffer<T> destination, long sourceOffset = 0) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(destination);
        ulong address = DeviceAddress(source, sourceOffset, destination.Length, nameof(source));
        if (destination.Length == 0)
            return;
        using (Enter())
        fixed (T* host = destination.Span)
            Check(Accelerator.Driver.cuMemcpyDtoHAsync(host, address, (nuint)(destination.Length * sizeof(T)), Handle), "Queueing a device-to-host copy");
    }

    /// <summary>Queues a copy of the whole of <paramref name="source"/> into <paramref name="destination"/> (same length, same accelerator).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The buffer read.</param>
    /// <param name="destination">The buffer written.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a buffer belongs to another accelerator.</exception>
    public void CopyAsync<T>(DeviceBuffer<T> source, DeviceBuffer<T> destination) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.Length != destination.Length)
            throw new ArgumentException($"Cannot copy {source.Length} elements into a buffer of {destination.Length}.", nameof(destination));
        ulong from = DeviceAddress(source, 0, source.Length, nameof(source));
        ulong to = DeviceAddress(destination, 0, destination.Length, nameof(destination));
        if (source.Length == 0)
            return;
        using (Enter())
            Check(Accelerator.Driver.cuMemcpyDtoDAsync(to, from, (nuint)source.SizeInBytes, Handle), "Queueing a device-to-device copy");
    }

    /// <summary>Queues a 1D launch on this stream.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="length">Number of indices.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int length, in TKernel kernel) where TKernel : struct, IKernel1D
    {
        using (Accelerator.LaunchOn(this))
            Accelerator.Launch(length, kernel);
    }

    /// <summary>Queues a 2D launch on this stream.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="width">Extent along x.</param>
    /// <param name="height">Extent along y.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int width, int height, in TKernel kernel) where TKernel : struct, IKernel2D
    {
        using (Accelerator.LaunchOn(this))
            Accelerator.Launch(width, height, kernel);
    }

    /// <summary>Queues a 3D launch on this stream.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="width">Extent along x.</param>
    /// <param name="height">Extent along y.</param>
    /// <param name="depth">Extent along z.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void Launch<TKernel>(int width, int height, int depth, in TKernel kernel) where TKernel : struct, IKernel3D
    {
        using (Accelerator.LaunchOn(this))
            Accelerator.Launch(width, height, depth, kernel);
    }

    /// <summary>Queues a grouped launch on this stream.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="extent">Groups and threads per group.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public void LaunchGrouped<TKernel>(GroupedExtent extent, in TKernel kernel) where TKernel : struct, IGroupKernel
    {
        using (Accelerator.LaunchOn(this))
            Accelerator.LaunchGrouped(extent, kernel);
    }

    /// <summary>Records an event after the work queued so far, for timing or for another stream to <see cref="Wait"/> on.</summary>
    /// <returns>The event; the caller disposes it.</returns>
    public CudaEvent Record()
    {
        var recorded = new CudaEvent(Accelerator);
        try
        {
            using (Enter())
                Check(Accelerator.Driver.cuEventRecord(recorded.Handle, Handle), "Recording a CUDA event");
        }
        catch
        {
            recorded.Dispose();
            throw;
        }
        return recorded;
    }

    /// <summary>Makes work queued on this stream from now on wait until <paramref name="recorded"/> has happened.</summary>
    /// <param name="recorded">An event recorded on any stream of the same accelerator.</param>
    public void Wait(CudaEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        using (Enter())
            Check(Accelerator.Driver.cuStreamWaitEvent(Handle, recorded.Handle, 0), "Making a stream wait for an event");
    }

    /// <summary>Blocks until everything queued on this stream has finished.</summary>
    /// <exception cref="GpuException">Queued work failed.</exception>
    public void Synchronize()
    {
        using (Enter())
            Check(Accelerator.Driver.cuStreamSynchronize(Handle), "Waiting for a CUDA stream");
    }

    /// <summary>Destroys the stream; work already queued on it still completes.</summary>
    public void Dispose()
    {
        if (handle == 0)
            return;
        using (Enter())
            Check(Accelerator.Driver.cuStreamDestroy(handle), "Destroying a CUDA stream");
        handle = 0;
        Accelerator.Untrack(this);
    }

    private ulong DeviceAddress<T>(DeviceBuffer<T> buffer, long offset, long count, string parameter) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer, parameter);
        if (!ReferenceEquals(buffer.Accelerator, Accelerator))
            throw new ArgumentException("The buffer belongs to another accelerator than this stream.", parameter);
        if (count > int.MaxValue)
            throw new ArgumentException($"Copy {count} elements in parts of at most {int.MaxValue}.", parameter);
        // SubView checks the range; a CUDA view's handle is the allocation's device address.
        var view = buffer.SubView(offset, (int)count);
        return (ulong)view.Handle + (ulong)(view.Offset * sizeof(T));
    }

    private CudaContext.Scope Enter() => Accelerator.Context.Enter();

    private void Check(int result, string action) => Accelerator.Driver.Check(result, action);
}
