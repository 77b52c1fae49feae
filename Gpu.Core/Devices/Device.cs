using System.Globalization;

namespace Gpu.Core;

/// <summary>Which runtime drives a device.</summary>
public enum DeviceKind
{
    /// <summary>The host processor, running kernels as compiled .NET code.</summary>
    Cpu,
    /// <summary>An OpenCL device of any vendor, running kernels translated to OpenCL C.</summary>
    OpenCL,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA accelerator, running kernels ILGPU compiles to PTX.</summary>
    Cuda,
}

/// <summary>What kind of hardware sits behind a device (an OpenCL device may be a CPU).</summary>
public enum DeviceHardware
{
    /// <summary>A general-purpose processor.</summary>
    Cpu,
    /// <summary>A graphics processor.</summary>
    Gpu,
    /// <summary>Anything else (FPGAs, dedicated accelerators).</summary>
    Other,
}

/// <summary>A compute device found on this machine, with the figures that size and judge work on
/// it. <see cref="Open"/> makes an <see cref="Accelerator"/> to allocate memory and launch kernels.</summary>
public abstract class Device
{
    /// <summary>The name that selects the device: <c>cpu</c>, <c>opencl:N</c> or <c>cuda:N</c>.</summary>
    public required string Name { get; init; }
    /// <summary>The runtime that drives it.</summary>
    public required DeviceKind Kind { get; init; }
    /// <summary>The hardware behind it.</summary>
    public required DeviceHardware Hardware { get; init; }
    /// <summary>The product name the driver reports.</summary>
    public required string DisplayName { get; init; }
    /// <summary>The vendor the driver reports.</summary>
    public required string Vendor { get; init; }
    /// <summary>Cores (CPU), compute units (OpenCL) or streaming multiprocessors (CUDA).</summary>
    public required int ComputeUnits { get; init; }
    /// <summary>Memory the device can allocate from, in bytes.</summary>
    public required long MemoryBytes { get; init; }
    /// <summary>Most threads in one group of a grouped launch.</summary>
    public required int MaxGroupSize { get; init; }
    /// <summary>Shared memory available to one group, in bytes.</summary>
    public required long SharedMemoryPerGroup { get; init; }
    /// <summary>float32 lanes executed together: the SIMD width of a CPU core, the warp or
    /// wavefront of a GPU.</summary>
    public required int SimdWidth { get; init; }
    /// <summary>Clock in MHz used for the peak estimate (0 when unknown).</summary>
    public required double ClockMHz { get; init; }
    /// <summary>Estimated float32 peak in GFLOP/s (an FMA counts as two).</summary>
    public required double PeakGflops { get; init; }
    /// <summary>Estimated memory bandwidth in GB/s.</summary>
    public required double PeakGBps { get; init; }
    /// <summary>How the two peak figures were obtained, for reports.</summary>
    public required string PeakSource { get; init; }

    /// <summary>Which engine runs this device's kernels and why that one, for <c>gpuc devices</c> and reports.</summary>
    public required DeviceEngine Engine { get; init; }

    /// <summary>The device's clocks, power and temperature now, where its driver reports them (NVML on
    /// NVIDIA GPUs); null elsewhere.</summary>
    public virtual DeviceSensors? ReadSensors() => null;

    /// <summary>Opens the device for work. Each call makes a new, independent accelerator.</summary>
    /// <returns>An accelerator the caller disposes.</returns>
    public abstract Accelerator Open();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({DisplayName})";
}

/// <summary>The engine that runs a device's kernels, e.g. ILGPU's CUDA accelerator or the OpenCL 1.2 translator.</summary>
/// <param name="Name">The engine, e.g. <c>ILGPU CUDA (PTX)</c>.</param>
/// <param name="Reason">Why this engine runs the device.</param>
public sealed record DeviceEngine(string Name, string Reason);

/// <summary>A reading of a GPU's sensors; a value the driver does not report is null.</summary>
/// <param name="GraphicsClockMHz">The graphics (SM) clock now.</param>
/// <param name="MemoryClockMHz">The memory clock now.</param>
/// <param name="PowerWatts">The board's power draw now.</param>
/// <param name="TemperatureCelsius">The GPU's temperature now.</param>
public sealed record DeviceSensors(double? GraphicsClockMHz, double? MemoryClockMHz, double? PowerWatts, double? TemperatureCelsius)
{
    /// <summary>The readings there are, e.g. <c>SM clock 1755 MHz, memory clock 2619 MHz, 71.3 W, 34 °C</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (GraphicsClockMHz is { } sm)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"SM clock {sm:F0} MHz"));
        if (MemoryClockMHz is { } memory)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"memory clock {memory:F0} MHz"));
        if (PowerWatts is { } watts)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{watts:F1} W"));
        if (TemperatureCelsius is { } celsius)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{celsius:F0} °C"));
        return parts.Count == 0 ? "no sensor readings" : string.Join(", ", parts);
    }
}
