namespace Gpu.Core.OpenCL;

/// <summary>Sums <c>CL_PROFILING_COMMAND_END − CL_PROFILING_COMMAND_START</c> of each kernel's event
/// on the accelerator's profiling queue.</summary>
internal sealed unsafe class OpenCLKernelTimer(Accelerator accelerator, OpenCLContext context) : Translated.RecordingKernelTimer<nint>(accelerator)
{
    protected override long ElapsedNanoseconds(nint record) => context.ElapsedNanoseconds(record);

    protected override void Release(nint record) => context.Api.clReleaseEvent(record);
}
