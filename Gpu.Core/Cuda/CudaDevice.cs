using Gpu.Core.Cuda.Native;

namespace Gpu.Core.Cuda;

/// <summary>An NVIDIA GPU seen through the CUDA driver API.</summary>
internal sealed class CudaDevice : Device
{
    /// <summary>The driver.</summary>
    public required CudaDriverApi Driver { get; init; }

    /// <summary>NVRTC, which builds this device's kernels.</summary>
    public required NvrtcApi Nvrtc { get; init; }

    /// <summary>The <c>CUdevice</c> handle.</summary>
    public required int Handle { get; init; }

    /// <summary>Compute capability major × 10 + minor, e.g. 90 for an H100.</summary>
    public required int Architecture { get; init; }

    /// <summary>L2 cache size in bytes.</summary>
    public required long L2CacheBytes { get; init; }

    public override Accelerator Open() => new CudaAccelerator(this);
}
