using System.Runtime.InteropServices;
using Gpu.Core.Cuda.Native;

namespace Gpu.Core.Cuda;

/// <summary>Finds NVIDIA GPUs through the CUDA driver API. No driver library, a failing
/// <c>cuInit</c> (e.g. <c>CUDA_ERROR_NO_DEVICE</c>) or no NVRTC means no devices, with the reason.</summary>
internal sealed unsafe class CudaBackend : IDeviceBackend
{
    public string Name => "CUDA";

    public string DevicePrefix => "cuda";

    public IReadOnlyList<Device> Discover(out string? unavailableReason)
    {
        var driver = CudaDriverApi.TryGet(out unavailableReason);
        if (driver is null)
            return [];
        int count;
        driver.Check(driver.cuDeviceGetCount(&count), "Counting CUDA devices");
        if (count == 0)
        {
            unavailableReason = "the CUDA driver reports no devices";
            return [];
        }
        var nvrtc = NvrtcApi.TryGet(driver.DriverVersion > 0 ? driver.DriverVersion / 1000 : null, out unavailableReason);
        if (nvrtc is null)
            return [];
        var devices = new List<Device>(count);
        for (int ordinal = 0; ordinal < count; ordinal++)
            devices.Add(Describe(driver, nvrtc, ordinal));
        return devices;
    }

    private static CudaDevice Describe(CudaDriverApi driver, NvrtcApi nvrtc, int ordinal)
    {
        int found;
        driver.Check(driver.cuDeviceGet(&found, ordinal), $"Getting CUDA device {ordinal}");
        int handle = found;
        int Attribute(CudaDeviceAttribute attribute)
        {
            int value;
            // Attributes a driver has retired read as unknown (0) rather than hiding the device.
            return driver.cuDeviceGetAttribute(&value, attribute, handle) == CudaResultNames.Success ? value : 0;
        }
        const int nameCapacity = 256;
        byte* name = stackalloc byte[nameCapacity];
        driver.Check(driver.cuDeviceGetName(name, nameCapacity, handle), $"Reading the name of CUDA device {ordinal}");
        nuint memory;
        driver.Check(driver.cuDeviceTotalMem(&memory, handle), $"Reading the memory size of CUDA device {ordinal}");
        int major = Attribute(CudaDeviceAttribute.ComputeCapabilityMajor), minor = Attribute(CudaDeviceAttribute.ComputeCapabilityMinor);
        int multiprocessors = Attribute(CudaDeviceAttribute.MultiprocessorCount);
        int clockKHz = Attribute(CudaDeviceAttribute.ClockRate);
        var (gflops, gbps, source) = CudaPeak.Estimate(multiprocessors, major, minor, clockKHz,
            Attribute(CudaDeviceAttribute.MemoryClockRate), Attribute(CudaDeviceAttribute.GlobalMemoryBusWidth));
        return new CudaDevice
        {
            Name = $"cuda:{ordinal}",
            Kind = DeviceKind.Cuda,
            Hardware = DeviceHardware.Gpu,
            DisplayName = Marshal.PtrToStringUTF8((nint)name) ?? $"CUDA device {ordinal}",
            Vendor = "NVIDIA",
            ComputeUnits = multiprocessors,
            MemoryBytes = (long)memory,
            MaxGroupSize = Attribute(CudaDeviceAttribute.MaxThreadsPerBlock),
            SharedMemoryPerGroup = Attribute(CudaDeviceAttribute.MaxSharedMemoryPerBlock),
            SimdWidth = Attribute(CudaDeviceAttribute.WarpSize),
            ClockMHz = clockKHz / 1000.0,
            PeakGflops = gflops,
            PeakGBps = gbps,
            PeakSource = source,
            Driver = driver,
            Nvrtc = nvrtc,
            Handle = handle,
            Architecture = major * 10 + minor,
            L2CacheBytes = Attribute(CudaDeviceAttribute.L2CacheSize),
        };
    }
}
