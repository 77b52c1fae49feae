using System.Globalization;

namespace Gpu.Core.OpenCL;

/// <summary>The float32 peak of an OpenCL device from what it reports. OpenCL reports neither the
/// FP32 lanes of a compute unit nor the memory bandwidth, so lanes come from the hardware type and
/// vendor, and the bandwidth is measured (<see cref="OpenCLBandwidth"/>).</summary>
internal static class OpenCLPeak
{
    /// <summary>FMA pipes per CPU core assumed (two on every recent x86 and Arm server core).</summary>
    public const int CpuFmaUnits = 2;

    /// <summary>The GPU vendor a device's vendor string names.</summary>
    public static GpuVendor VendorOf(string vendor)
        => vendor.Contains("NVIDIA", StringComparison.OrdinalIgnoreCase) ? GpuVendor.Nvidia
        : vendor.Contains("AMD", StringComparison.OrdinalIgnoreCase) || vendor.Contains("Advanced Micro Devices", StringComparison.OrdinalIgnoreCase) ? GpuVendor.Amd
        : vendor.Contains("Intel", StringComparison.OrdinalIgnoreCase) ? GpuVendor.Intel
        : GpuVendor.Other;

    /// <summary>FP32 lanes in one compute unit of a GPU: an NVIDIA SM (128 since Maxwell), an AMD
    /// CU (4 × SIMD-16), an Intel EU (8: two SIMD-4 FPUs on Gen9, SIMD-8 on Xe; Intel's datasheet
    /// peaks are EUs × 8 × 2 × clock), or null for a vendor not in the table.</summary>
    public static int? GpuLanesPerComputeUnit(GpuVendor vendor) => vendor switch
    {
        GpuVendor.Nvidia => 128,
        GpuVendor.Amd => 64,
        GpuVendor.Intel => 8,
        _ => null,
    };

    /// <summary>The threads a GPU runs in lockstep when no vendor extension reports it: a warp,
    /// a GCN wavefront, the SIMD-16 Intel's compiler usually picks, or null.</summary>
    public static int? DefaultGpuSimdWidth(GpuVendor vendor) => vendor switch
    {
        GpuVendor.Nvidia => 32,
        GpuVendor.Amd => 64,
        GpuVendor.Intel => 16,
        _ => null,
    };

    /// <summary>The float32 peak in GFLOP/s (an FMA counts as two) and how it was obtained.</summary>
    /// <param name="hardware">The device type.</param>
    /// <param name="vendor">The vendor string the device reports.</param>
    /// <param name="computeUnits">CL_DEVICE_MAX_COMPUTE_UNITS.</param>
    /// <param name="nativeFloatWidth">CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT (16 on AVX-512, 8 on AVX2).</param>
    /// <param name="clockMHz">CL_DEVICE_MAX_CLOCK_FREQUENCY.</param>
    public static (double Gflops, string Source) Estimate(DeviceHardware hardware, string vendor, int computeUnits, int nativeFloatWidth, double clockMHz)
    {
        if (clockMHz <= 0)
            return (0, "FLOP/s unknown (the device reports no clock)");
        string clock = clockMHz.ToString("F0", CultureInfo.InvariantCulture);
        if (hardware == DeviceHardware.Cpu)
            return (computeUnits * nativeFloatWidth * CpuFmaUnits * 2.0 * clockMHz / 1000.0,
                $"{computeUnits} compute units × {nativeFloatWidth} native float lanes × {CpuFmaUnits} FMA units × 2 × {clock} MHz");
        if (hardware == DeviceHardware.Gpu && GpuLanesPerComputeUnit(VendorOf(vendor)) is int lanes)
            return (computeUnits * lanes * 2.0 * clockMHz / 1000.0,
                $"{computeUnits} compute units × {lanes} FP32 lanes ({vendor}) × 2 × {clock} MHz");
        return (computeUnits * nativeFloatWidth * 2.0 * clockMHz / 1000.0,
            $"{computeUnits} compute units × {nativeFloatWidth} native float lanes × 2 × {clock} MHz (no lane table for this vendor)");
    }
}

/// <summary>GPU vendors whose hardware the peak tables know.</summary>
internal enum GpuVendor
{
    Nvidia,
    Amd,
    Intel,
    Other,
}
