using Gpu.Core.Compiler;
using Gpu.Core.OpenCL.Native;
using Gpu.Core.Translated;

namespace Gpu.Core.OpenCL;

/// <summary>A built <c>cl_program</c> and its one <c>cl_kernel</c>.</summary>
internal sealed unsafe class OpenCLProgram(GeneratedKernel kernel, OpenCLApi api, nint program, nint entryPoint) : ICompiledProgram
{
    public GeneratedKernel Kernel { get; } = kernel;

    /// <summary>The <c>cl_kernel</c>.</summary>
    public nint EntryPoint { get; } = entryPoint;

    /// <summary>Held from the first <c>clSetKernelArg</c> to the enqueue: a kernel object's
    /// arguments are state, so two threads launching it at once must not interleave.</summary>
    public Lock ArgumentsGate { get; } = new();

    public void Dispose()
    {
        api.clReleaseKernel(EntryPoint);
        api.clReleaseProgram(program);
    }
}
