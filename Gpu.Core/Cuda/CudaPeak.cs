using System.Globalization;

namespace Gpu.Core.Cuda;

/// <summary>The peak figures of a CUDA device from what the driver reports. FP32 lanes per SM come
/// from NVIDIA's tables per compute capability, since no attribute reports them.</summary>
internal static class CudaPeak
{
    /// <summary>FP32 lanes (CUDA cores) in one SM of the given compute capability.</summary>
    public static int Fp32LanesPerSm(int major, int minor) => (major, minor) switch
    {
        (3, _) => 192,
        (5, _) => 128,
        (6, 0) => 64,
        (6, _) => 128,
        (7, _) => 64,
        (8, 0) => 64,
        _ => 128,
    };

    /// <summary>The float32 peak in GFLOP/s (an FMA counts as two), the bandwidth in GB/s, and how
    /// both were obtained; a zero clock gives zero and says the figure is unknown.</summary>
    /// <param name="multiprocessors">SM count.</param>
    /// <param name="major">Compute capability major.</param>
    /// <param name="minor">Compute capability minor.</param>
    /// <param name="clockKHz">SM clock in kHz.</param>
    /// <param name="memoryClockKHz">Memory clock in kHz (recent drivers may report 0).</param>
    /// <param name="busWidthBits">Memory bus width in bits.</param>
    public static (double Gflops, double GBps, string Source) Estimate(int multiprocessors, int major, int minor, int clockKHz, int memoryClockKHz, int busWidthBits)
    {
        int lanes = Fp32LanesPerSm(major, minor);
        double clockMHz = clockKHz / 1000.0;
        double gflops = multiprocessors * lanes * 2.0 * clockMHz / 1000.0;
        string compute = clockKHz > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{multiprocessors} SMs × {lanes} FP32 lanes (compute {major}.{minor}) × 2 × {clockMHz:F0} MHz")
            : "FLOP/s unknown (the driver reports no SM clock)";
        double gbps = 2.0 * memoryClockKHz * 1000.0 * busWidthBits / 8.0 / 1e9;
        string memory = memoryClockKHz > 0 && busWidthBits > 0
            ? string.Create(CultureInfo.InvariantCulture, $"bandwidth 2 × {memoryClockKHz / 1000.0:F0} MHz × {busWidthBits}-bit bus / 8")
            : "bandwidth unknown (the driver reports no memory clock or bus width)";
        return (gflops, memoryClockKHz > 0 && busWidthBits > 0 ? gbps : 0, $"{compute}; {memory}");
    }
}
