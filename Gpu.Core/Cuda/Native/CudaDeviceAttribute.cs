namespace Gpu.Core.Cuda.Native;

/// <summary>The <c>CUdevice_attribute</c> values this backend reads, numbered as in <c>cuda.h</c>.</summary>
internal enum CudaDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    /// <summary>Peak SM clock in kHz.</summary>
    ClockRate = 13,
    MultiprocessorCount = 16,
    /// <summary>Peak memory clock in kHz (0 on some recent drivers).</summary>
    MemoryClockRate = 36,
    /// <summary>Global memory bus width in bits.</summary>
    GlobalMemoryBusWidth = 37,
    L2CacheSize = 38,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}
