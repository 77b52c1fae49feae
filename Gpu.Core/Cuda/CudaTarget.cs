namespace Gpu.Core.Cuda;

/// <summary>What NVRTC is asked to emit for a device: <c>sm_XY</c> machine code (CUBIN) when it
/// knows the device's architecture, otherwise <c>compute_XY</c> PTX for the newest architecture it
/// knows below the device, which the driver compiles forward when loading.</summary>
/// <param name="Architecture">The architecture number, e.g. 90 for compute capability 9.0.</param>
/// <param name="Cubin">Machine code rather than PTX.</param>
internal readonly record struct CudaTarget(int Architecture, bool Cubin)
{
    /// <summary>The <c>--gpu-architecture</c> value.</summary>
    public string GpuArchitecture => $"{(Cubin ? "sm" : "compute")}_{Architecture}";

    /// <summary>The cache file extension.</summary>
    public string Extension => Cubin ? "cubin" : "ptx";

    /// <summary>Chooses the target for a device.</summary>
    /// <param name="deviceArchitecture">The device's compute capability as major × 10 + minor.</param>
    /// <param name="supported">The architectures NVRTC reports, or null when it cannot report them.</param>
    /// <param name="canEmitCubin">Whether this NVRTC has <c>nvrtcGetCUBIN</c>.</param>
    /// <exception cref="NotSupportedException">NVRTC knows no architecture at or below the device's.</exception>
    public static CudaTarget Choose(int deviceArchitecture, IReadOnlyList<int>? supported, bool canEmitCubin)
    {
        if (supported is null || supported.Contains(deviceArchitecture))
            return new CudaTarget(deviceArchitecture, canEmitCubin);
        var older = supported.Where(a => a < deviceArchitecture).ToList();
        if (older.Count == 0)
            throw new NotSupportedException(
                $"NVRTC supports architectures {string.Join(", ", supported)}, none of which runs on a compute capability {deviceArchitecture / 10}.{deviceArchitecture % 10} device.");
        return new CudaTarget(older.Max(), Cubin: false);
    }
}
