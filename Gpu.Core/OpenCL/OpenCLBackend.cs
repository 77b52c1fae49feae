using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>Finds every device of every OpenCL platform through the ICD loader, naming them
/// <c>opencl:0</c>, <c>opencl:1</c>, … in platform then device order. No loader, no platform or no
/// device means no devices, with the reason.</summary>
internal sealed unsafe class OpenCLBackend : IDeviceBackend
{
    private readonly Func<(OpenCLApi? Api, string? Failure)> loadApi;

    /// <summary>Uses the system's ICD loader.</summary>
    public OpenCLBackend() => loadApi = () => (OpenCLApi.TryGet(out string? failure), failure);

    /// <summary>Uses the loader found under <paramref name="loaderCandidates"/> (tests point this at a
    /// library that does not exist).</summary>
    internal OpenCLBackend(IReadOnlyList<string> loaderCandidates) => loadApi = () => OpenCLApi.Load(loaderCandidates);

    public string Name => "OpenCL";

    public string DevicePrefix => "opencl";

    public IReadOnlyList<Device> Discover(out string? unavailableReason)
    {
        (var api, unavailableReason) = loadApi();
        if (api is null)
            return [];
        var platforms = Platforms(api);
        if (platforms.Length == 0)
        {
            unavailableReason = $"{api.LoadedFrom} found no OpenCL platform (no ICD is installed)";
            return [];
        }
        var devices = new List<Device>();
        var failures = new List<string>();
        foreach (nint platform in platforms)
        {
            // One broken vendor driver must not hide the devices of the others.
            try
            {
                string platformName = api.PlatformString(platform, OpenCLApi.PlatformName);
                foreach (nint handle in DevicesOf(api, platform, platformName))
                    devices.Add(Describe(api, platformName, handle, $"opencl:{devices.Count}"));
            }
            catch (GpuException e)
            {
                failures.Add(e.Message);
            }
        }
        if (devices.Count == 0)
            unavailableReason = failures.Count > 0
                ? $"{platforms.Length} OpenCL platform(s), no usable device: {string.Join("; ", failures)}"
                : $"{platforms.Length} OpenCL platform(s) ({string.Join(", ", platforms.Select(p => api.PlatformString(p, OpenCLApi.PlatformName)))}) but no devices";
        return devices;
    }

    private static nint[] Platforms(OpenCLApi api)
    {
        uint count;
        int result = api.clGetPlatformIDs(0, null, &count);
        // The ICD loader answers CL_PLATFORM_NOT_FOUND_KHR when no vendor ICD is registered.
        if (result == OpenCLErrorNames.PlatformNotFoundKhr || (result == OpenCLErrorNames.Success && count == 0))
            return [];
        OpenCLApi.Check(result, "Counting OpenCL platforms");
        var platforms = new nint[count];
        fixed (nint* ids = platforms)
            OpenCLApi.Check(api.clGetPlatformIDs(count, ids, null), "Listing OpenCL platforms");
        return platforms;
    }

    private static nint[] DevicesOf(OpenCLApi api, nint platform, string platformName)
    {
        uint count;
        int result = api.clGetDeviceIDs(platform, OpenCLApi.DeviceTypeAll, 0, null, &count);
        if (result == OpenCLErrorNames.DeviceNotFound || (result == OpenCLErrorNames.Success && count == 0))
            return [];
        OpenCLApi.Check(result, $"Counting the devices of {platformName}");
        var devices = new nint[count];
        fixed (nint* ids = devices)
            OpenCLApi.Check(api.clGetDeviceIDs(platform, OpenCLApi.DeviceTypeAll, count, ids, null), $"Listing the devices of {platformName}");
        return devices;
    }

    private static OpenCLDevice Describe(OpenCLApi api, string platformName, nint handle, string name)
    {
        ulong type = api.DeviceValue<ulong>(handle, OpenCLApi.DeviceType);
        var hardware = (type & OpenCLApi.DeviceTypeGpu) != 0 ? DeviceHardware.Gpu
            : (type & OpenCLApi.DeviceTypeCpu) != 0 ? DeviceHardware.Cpu
            : DeviceHardware.Other;
        string vendor = api.DeviceString(handle, OpenCLApi.DeviceVendor);
        int computeUnits = (int)api.DeviceValue<uint>(handle, OpenCLApi.DeviceMaxComputeUnits);
        int nativeFloatWidth = (int)api.DeviceValue<uint>(handle, OpenCLApi.DeviceNativeVectorWidthFloat);
        double clockMHz = api.DeviceValue<uint>(handle, OpenCLApi.DeviceMaxClockFrequency);
        long maxAllocation = (long)api.DeviceValue<ulong>(handle, OpenCLApi.DeviceMaxMemAllocSize);
        var (gflops, computeSource) = OpenCLPeak.Estimate(hardware, vendor, computeUnits, nativeFloatWidth, clockMHz);
        // A CPU device reads host memory, where a buffer copy through the runtime (PoCL's is
        // single-threaded) measures the runtime, not the memory.
        var (gbps, bandwidthSource) = hardware == DeviceHardware.Cpu
            ? (Cpu.CpuBackend.HostBandwidthGBps, "bandwidth of host memory (the device is the host CPU), measured by a STREAM triad")
            : OpenCLBandwidth.Measure(api, handle, name, maxAllocation);
        string version = api.DeviceString(handle, OpenCLApi.DeviceVersion);
        var (engine, usesIlgpu) = IlgpuOpenCL.Choose(version, HasGenericAddressSpace(api, handle, version));
        return new OpenCLDevice
        {
            Name = name,
            Kind = DeviceKind.OpenCL,
            Hardware = hardware,
            DisplayName = api.DeviceString(handle, OpenCLApi.DeviceName),
            Vendor = vendor,
            ComputeUnits = computeUnits,
            MemoryBytes = (long)api.DeviceValue<ulong>(handle, OpenCLApi.DeviceGlobalMemSize),
            MaxGroupSize = (int)Math.Min(api.DeviceValue<nuint>(handle, OpenCLApi.DeviceMaxWorkGroupSize), int.MaxValue),
            SharedMemoryPerGroup = (long)api.DeviceValue<ulong>(handle, OpenCLApi.DeviceLocalMemSize),
            SimdWidth = SimdWidth(api, handle, hardware, vendor, nativeFloatWidth),
            ClockMHz = clockMHz,
            PeakGflops = gflops,
            PeakGBps = gbps,
            PeakSource = $"{computeSource}; {bandwidthSource}",
            Api = api,
            PlatformName = platformName,
            Handle = handle,
            Version = version,
            Engine = engine,
            RunsOnIlgpu = usesIlgpu,
            MaxAllocationBytes = maxAllocation,
            SupportsDouble = api.DeviceValue<ulong>(handle, OpenCLApi.DeviceDoubleFpConfig) != 0,
            CorrectlyRoundedDivideSqrt = (api.DeviceValue<ulong>(handle, OpenCLApi.DeviceSingleFpConfig) & OpenCLApi.FpCorrectlyRoundedDivideSqrt) != 0,
        };
    }

    /// <summary>Whether the device has the generic address space: mandatory in OpenCL 2.x, a queried feature in 3.0, absent in 1.x.</summary>
    private static bool HasGenericAddressSpace(OpenCLApi api, nint handle, string version)
    {
        // The version string reads "OpenCL <major>.<minor> <vendor text>".
        string[] words = version.Split(' ');
        int major = words.Length > 1 && Version.TryParse(words[1], out var number) ? number.Major : 1;
        return major == 2 || (major >= 3 && api.OptionalDeviceValue<uint>(handle, OpenCLApi.DeviceGenericAddressSpaceSupport) is > 0);
    }

    /// <summary>The lanes that run together: the warp or wavefront a vendor extension reports,
    /// the vendor's usual width otherwise, and a CPU's native float vector width.</summary>
    private static int SimdWidth(OpenCLApi api, nint handle, DeviceHardware hardware, string vendor, int nativeFloatWidth)
    {
        if (hardware != DeviceHardware.Gpu)
            return nativeFloatWidth;
        if (api.OptionalDeviceValue<uint>(handle, OpenCLApi.DeviceWarpSizeNv) is uint warp and > 0)
            return (int)warp;
        if (api.OptionalDeviceValue<uint>(handle, OpenCLApi.DeviceWavefrontWidthAmd) is uint wavefront and > 0)
            return (int)wavefront;
        return OpenCLPeak.DefaultGpuSimdWidth(OpenCLPeak.VendorOf(vendor)) ?? nativeFloatWidth;
    }
}
