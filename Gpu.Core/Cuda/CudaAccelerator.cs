using Gpu.Core.Compiler;
using Gpu.Core.Cuda.Native;
using Gpu.Core.Translated;

namespace Gpu.Core.Cuda;

/// <summary>Runs translated kernels on an NVIDIA GPU through the driver API, in the device's
/// primary context. Launches and the synchronous copies of <see cref="DeviceBuffer{T}"/> go to the
/// legacy default stream, so they run in the order they were issued; <see cref="CudaStream"/>
/// adds streams for overlapping copies and launches.</summary>
internal sealed unsafe partial class CudaAccelerator : TranslatingAccelerator<CudaProgram>
{
    private readonly CudaDevice device;
    private readonly NvrtcCompiler compiler;
    private readonly HashSet<IDisposable> streamsAndEvents = [];
    private readonly Lock gate = new();

    public CudaAccelerator(CudaDevice device) : base(device, KernelDialect.Cuda)
    {
        this.device = device;
        var target = CudaTarget.Choose(device.Architecture, device.Nvrtc.SupportedArchitectures(), device.Nvrtc.CanEmitCubin);
        compiler = new NvrtcCompiler(device.Nvrtc, KernelImageCache.ForThisProcess(), target);
        Context = new CudaContext(device.Driver, device.Handle);
    }

    /// <summary>This accelerator's reference to the primary context.</summary>
    internal CudaContext Context { get; }

    internal CudaDriverApi Driver => device.Driver;

    /// <summary>Waits for all work in the context (every stream), reporting any fault a launch hit.</summary>
    public override void Synchronize()
    {
        ThrowIfDisposed();
        using (Context.Enter())
            Driver.Check(Driver.cuCtxSynchronize(), $"Waiting for {device.Name}");
    }

    private protected override DeviceMemory AllocateMemory(long bytes) => new CudaMemory(Context, bytes);

    /// <summary>Page-locked host memory (<c>cuMemHostAlloc</c>), which <see cref="CudaStream"/>
    /// copies asynchronously. The buffer holds its own reference to the context, so it stays valid
    /// after the accelerator is disposed.</summary>
    public override PinnedBuffer<T> AllocatePinned<T>(long length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = checked(length * sizeof(T));
        var owner = new CudaContext(Driver, device.Handle);
        void* pointer;
        try
        {
            using (owner.Enter())
                Driver.Check(Driver.cuMemHostAlloc(&pointer, (nuint)Math.Max(bytes, 1), CudaDriverApi.HostAllocPortable), $"Allocating {bytes} bytes of pinned host memory");
        }
        catch
        {
            owner.Dispose();
            throw;
        }
        return new PinnedBuffer<T>((nint)pointer, length, address =>
        {
            using (owner.Enter())
                Driver.Check(Driver.cuMemFreeHost((void*)address), "Freeing pinned host memory");
            owner.Dispose();
        });
    }

    /// <summary>Remembers a stream or event so disposing the accelerator destroys it before the context.</summary>
    internal void Track(IDisposable streamOrEvent)
    {
        lock (gate)
            streamsAndEvents.Add(streamOrEvent);
    }

    internal void Untrack(IDisposable streamOrEvent)
    {
        lock (gate)
            streamsAndEvents.Remove(streamOrEvent);
    }

    internal void ThrowIfClosed() => ThrowIfDisposed();

    protected override void ReleaseContext()
    {
        IDisposable[] remaining;
        lock (gate)
            remaining = [.. streamsAndEvents];
        foreach (var item in remaining)
            item.Dispose();
        Context.Dispose();
    }
}
