using Gpu.Core.Compiler;
using Gpu.Core.Translated;

namespace Gpu.Core.Cuda;

/// <summary>A loaded module and its entry point.</summary>
internal sealed unsafe class CudaProgram(GeneratedKernel kernel, CudaContext context, nint module, nint function) : ICompiledProgram
{
    public GeneratedKernel Kernel { get; } = kernel;

    /// <summary>The <c>CUfunction</c>.</summary>
    public nint Function { get; } = function;

    public void Dispose()
    {
        using (context.Enter())
            context.Driver.Check(context.Driver.cuModuleUnload(module), $"Unloading the module of {Kernel.EntryPoint}");
    }
}
