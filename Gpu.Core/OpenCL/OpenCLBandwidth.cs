using System.Globalization;
using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>Measures a device's memory bandwidth once, at discovery: OpenCL has no query for it.
/// The figure is the best of a few device-to-device copies (<c>clEnqueueCopyBuffer</c>) timed by
/// the queue's profiling events, counting the bytes read and the bytes written.</summary>
internal static unsafe class OpenCLBandwidth
{
    /// <summary>Bytes copied per timed copy: well past any cache, small enough to allocate anywhere.</summary>
    private const long CopyBytes = 32L << 20;

    private const int TimedCopies = 3;

    /// <summary>The bandwidth in GB/s and how it was obtained; zero with the reason when the
    /// measurement itself fails.</summary>
    public static (double GBps, string Source) Measure(OpenCLApi api, nint device, string deviceName, long maxAllocationBytes)
    {
        long bytes = Math.Min(CopyBytes, maxAllocationBytes);
        try
        {
            using var context = new OpenCLContext(api, device, deviceName);
            using var source = new OpenCLMemory(context, maxAllocationBytes, bytes);
            using var destination = new OpenCLMemory(context, maxAllocationBytes, bytes);
            // Touches every page of both buffers before timing.
            source.Clear(0, bytes);
            destination.Clear(0, bytes);
            source.CopyTo(destination, 0, 0, bytes);
            context.Finish($"Preparing the bandwidth measurement on {deviceName}");
            long best = long.MaxValue;
            for (int i = 0; i < TimedCopies; i++)
            {
                nint copied;
                OpenCLApi.Check(api.clEnqueueCopyBuffer(context.Queue, source.Handle, destination.Handle, 0, 0, (nuint)bytes, 0, null, &copied),
                    $"Timing a copy on {deviceName}");
                try
                {
                    best = Math.Min(best, context.ElapsedNanoseconds(copied));
                }
                finally
                {
                    api.clReleaseEvent(copied);
                }
            }
            double gbps = best > 0 ? 2.0 * bytes / best : 0;
            return (gbps, string.Create(CultureInfo.InvariantCulture, $"bandwidth measured: best of {TimedCopies} clEnqueueCopyBuffer of {bytes >> 20} MiB (read + write)"));
        }
        catch (GpuException e)
        {
            return (0, $"bandwidth unknown (measuring it failed: {e.ErrorName})");
        }
    }
}
