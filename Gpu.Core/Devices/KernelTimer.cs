namespace Gpu.Core;

/// <summary>The device's own time for the kernels of one timed region (<see cref="Accelerator.StartKernelTimer"/>).</summary>
/// <param name="Elapsed">The sum over the region's kernels of end minus start on the device's clock: host launch
/// overhead, copies and idle gaps between kernels are not in it, so it is at most the region's wall time.</param>
/// <param name="Kernels">How many kernels the region launched through the accelerator.</param>
public readonly record struct KernelTime(TimeSpan Elapsed, int Kernels);

/// <summary>A timed region on one accelerator: from <see cref="Accelerator.StartKernelTimer"/> to
/// <see cref="Stop"/>, every kernel the accelerator launches (from any thread) is timed by the device's
/// own clock. Disposing it without <see cref="Stop"/> abandons the region.</summary>
public abstract class KernelTimer : IDisposable
{
    private protected KernelTimer()
    {
    }

    /// <summary>Ends the region, waits for its kernels to finish and sums their device times.</summary>
    /// <exception cref="InvalidOperationException">The region has already ended (stopped, disposed, or its accelerator disposed).</exception>
    /// <exception cref="GpuException">A kernel of the region failed, or the device could not report its times.</exception>
    public abstract KernelTime Stop();

    /// <summary>Ends the region without reading its times, releasing what the device kept for them.</summary>
    public abstract void Dispose();
}
