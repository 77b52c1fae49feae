using System.Diagnostics;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Gpu.Core.Ilgpu;

/// <summary>Compiles kernel structs to PTX with ILGPU's PTX backend and no GPU or driver: how CI
/// checks that every kernel compiles for the CUDA architectures the project supports.</summary>
public sealed class IlgpuPtx : IDisposable
{
    private readonly Context context = Context.Create(builder => builder.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O1));

    /// <summary>The architectures CI compiles for, each with the lowest PTX ISA that supports it.</summary>
    public static IReadOnlyDictionary<string, (CudaArchitecture Architecture, CudaInstructionSet InstructionSet)> Targets { get; } =
        new Dictionary<string, (CudaArchitecture, CudaInstructionSet)>
        {
            ["sm_70"] = (CudaArchitecture.SM_70, CudaInstructionSet.ISA_60),
            ["sm_80"] = (CudaArchitecture.SM_80, CudaInstructionSet.ISA_70),
            ["sm_90"] = (CudaArchitecture.SM_90, CudaInstructionSet.ISA_78),
        };

    /// <summary>The PTX of <paramref name="kernelType"/>'s entry for <paramref name="target"/> (a key of <see cref="Targets"/>).</summary>
    /// <param name="kernelType">A 1D, 2D, 3D or grouped kernel struct.</param>
    /// <param name="target">The architecture, e.g. <c>sm_80</c>.</param>
    /// <param name="elapsed">How long ILGPU took.</param>
    /// <returns>The PTX assembly.</returns>
    public string Compile(Type kernelType, string target, out TimeSpan elapsed)
    {
        var (architecture, instructionSet) = Targets[target];
        long start = Stopwatch.GetTimestamp();
        var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, instructionSet, nvvmAPI: null);
        var entry = IlgpuEntries.EntryFor(kernelType);
        var description = typeof(IGroupKernel).IsAssignableFrom(kernelType)
            ? EntryPointDescription.FromExplicitlyGroupedKernel(entry)
            : EntryPointDescription.FromImplicitlyGroupedKernel(entry);
        var compiled = (PTXCompiledKernel)backend.Compile(description, default);
        elapsed = Stopwatch.GetElapsedTime(start);
        return compiled.PTXAssembly;
    }

    /// <inheritdoc/>
    public void Dispose() => context.Dispose();
}
