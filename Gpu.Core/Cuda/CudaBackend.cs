using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Gpu.Core.Cuda;

/// <summary>Finds NVIDIA GPUs through ILGPU's CUDA runtime, which also compiles their kernels to PTX.
/// No driver library, or a driver that reports no device, means no devices, with the reason.</summary>
internal sealed class CudaBackend : IDeviceBackend
{
    // One ILGPU context for every CUDA device of the process: ILGPU caches compiled kernels per context,
    // so two accelerators on one GPU share the compiler's work, and the context outlives every accelerator.
    // Profiling gives the bench's kernel timer its markers (CUDA events), recorded only inside a timed region.
    private static readonly Lazy<Context> context = new(() => Context.Create(builder => builder.Cuda().EnableAlgorithms().Profiling()));

    public string Name => "CUDA";

    public string DevicePrefix => "cuda";

    public IReadOnlyList<Device> Discover(out string? unavailableReason)
    {
        unavailableReason = null;
        // ILGPU swallows a missing driver and lists no devices; the driver's absence is the likelier reason to name.
        if (!NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out var driver))
        {
            unavailableReason = "no NVIDIA driver library (libcuda.so.1 / nvcuda.dll) on this machine";
            return [];
        }
        NativeLibrary.Free(driver);
        var found = context.Value.GetCudaDevices();
        if (found.Count == 0)
        {
            unavailableReason = "the CUDA driver reports no devices ILGPU can use";
            return [];
        }
        var devices = new List<Device>(found.Count);
        for (int ordinal = 0; ordinal < found.Count; ordinal++)
            devices.Add(Describe(context.Value, found[ordinal], ordinal));
        return devices;
    }

    private static CudaDevice Describe(Context context, ILGPU.Runtime.Cuda.CudaDevice device, int ordinal)
    {
        var capability = device.Architecture;
        int major = capability?.Major ?? 0, minor = capability?.Minor ?? 0;
        var (gflops, gbps, source) = CudaPeak.Estimate(device.NumMultiprocessors, major, minor, device.ClockRate, device.MemoryClockRate, device.MemoryBusWidth);
        return new CudaDevice
        {
            Name = $"cuda:{ordinal}",
            Kind = DeviceKind.Cuda,
            Hardware = DeviceHardware.Gpu,
            DisplayName = device.Name,
            Vendor = "NVIDIA",
            ComputeUnits = device.NumMultiprocessors,
            MemoryBytes = device.MemorySize,
            MaxGroupSize = device.MaxNumThreadsPerGroup,
            SharedMemoryPerGroup = device.MaxSharedMemoryPerGroup,
            SimdWidth = device.WarpSize,
            ClockMHz = device.ClockRate / 1000.0,
            PeakGflops = gflops,
            PeakGBps = gbps,
            PeakSource = source,
            Engine = new DeviceEngine("ILGPU CUDA (PTX)", capability is null
                ? $"compute capability of {device.Name} is newer than ILGPU's PTX backend knows; opening it will fail"
                : $"ILGPU compiles the kernels to PTX for sm_{major}{minor}; dense GEMM goes through cuBLAS where its library loads"),
            Ilgpu = device,
            Context = context,
            Architecture = major * 10 + minor,
            L2CacheBytes = device.L2CacheSize,
        };
    }
}
