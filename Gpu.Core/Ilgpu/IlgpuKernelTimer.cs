using Gpu.Core.Translated;
using ILGPU.Runtime;

namespace Gpu.Core.Ilgpu;

/// <summary>Kernel time on an ILGPU accelerator: each launch in the region is bracketed by two of ILGPU's
/// profiling markers on the accelerator's stream (CUDA events on <c>cuda:N</c>), read at <see cref="KernelTimer.Stop"/>.</summary>
internal sealed class IlgpuKernelTimer(Gpu.Core.Accelerator accelerator) : RecordingKernelTimer<(ProfilingMarker Start, ProfilingMarker End)>(accelerator)
{
    protected override long ElapsedNanoseconds((ProfilingMarker Start, ProfilingMarker End) record)
        => record.End.MeasureFrom(record.Start).Ticks * TimeSpan.NanosecondsPerTick;

    protected override void Release((ProfilingMarker Start, ProfilingMarker End) record)
    {
        record.Start.Dispose();
        record.End.Dispose();
    }
}
