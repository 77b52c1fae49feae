using ILGPU;

namespace Gpu.Core.Cuda;

/// <summary>An NVIDIA GPU driven by ILGPU's CUDA accelerator.</summary>
internal sealed class CudaDevice : Device
{
    /// <summary>ILGPU's description of the GPU.</summary>
    public required ILGPU.Runtime.Cuda.CudaDevice Ilgpu { get; init; }

    /// <summary>The process's ILGPU context for CUDA, which owns the compiled kernels.</summary>
    public required Context Context { get; init; }

    /// <summary>Compute capability major × 10 + minor, e.g. 90 for an H100 (0 when ILGPU does not know it).</summary>
    public required int Architecture { get; init; }

    /// <summary>L2 cache size in bytes.</summary>
    public required long L2CacheBytes { get; init; }

    public override DeviceSensors? ReadSensors() => NvmlSensors.Read(Ilgpu);

    public override Accelerator Open() => Gpu.Core.Ilgpu.IlgpuAccelerator.OpenCuda(this);
}
