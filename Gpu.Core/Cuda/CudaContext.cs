using Gpu.Core.Cuda.Native;

namespace Gpu.Core.Cuda;

/// <summary>One reference to a device's primary context. Driver calls act on the calling thread's
/// current context, and an accelerator may be used from any thread, so every call runs inside
/// <see cref="Enter"/>, which pushes the context for the call's duration and pops it after.</summary>
internal sealed unsafe class CudaContext : IDisposable
{
    private bool released;

    /// <summary>Retains the primary context of <paramref name="device"/>.</summary>
    public CudaContext(CudaDriverApi driver, int device)
    {
        Driver = driver;
        Device = device;
        nint handle;
        driver.Check(driver.cuDevicePrimaryCtxRetain(&handle, device), $"Retaining the primary context of CUDA device {device}");
        Handle = handle;
    }

    public CudaDriverApi Driver { get; }

    /// <summary>The <c>CUdevice</c>.</summary>
    public int Device { get; }

    /// <summary>The <c>CUcontext</c>.</summary>
    public nint Handle { get; }

    /// <summary>Makes the context current on this thread until the scope is disposed.</summary>
    public Scope Enter()
    {
        ObjectDisposedException.ThrowIf(released, this);
        Driver.Check(Driver.cuCtxPushCurrent(Handle), "Making the CUDA context current");
        return new Scope(Driver);
    }

    /// <summary>Releases this reference; the driver destroys the context with the last one.</summary>
    public void Dispose()
    {
        if (released)
            return;
        released = true;
        Driver.Check(Driver.cuDevicePrimaryCtxRelease(Device), $"Releasing the primary context of CUDA device {Device}");
    }

    /// <summary>Pops the context pushed by <see cref="Enter"/>.</summary>
    public readonly ref struct Scope(CudaDriverApi driver)
    {
        public void Dispose()
        {
            nint popped;
            driver.cuCtxPopCurrent(&popped);
        }
    }
}
