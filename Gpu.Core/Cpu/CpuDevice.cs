using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpu.Core.Cpu;

/// <summary>The host processor as a device.</summary>
internal sealed class CpuDevice : Device
{
    /// <summary>Worker threads for launches, from <c>GPUC_CPU_THREADS</c> (default: every core).</summary>
    public required int Threads { get; init; }

    public override Accelerator Open() => new CpuAccelerator(this);
}

/// <summary>Describes the host: cores, SIMD width, clock, and from those an FMA peak; the
/// bandwidth is measured once with a parallel STREAM triad, since no portable API reports it.</summary>
internal sealed class CpuBackend : IDeviceBackend
{
    /// <summary>Environment variable limiting the worker threads.</summary>
    public const string ThreadsVariable = "GPUC_CPU_THREADS";

    /// <summary>Environment variable overriding the FMA pipes per core (default 2), which no API reports.</summary>
    public const string FmaUnitsVariable = "GPUC_CPU_FMA_UNITS";

    public string Name => "CPU";

    public string DevicePrefix => "cpu";

    public IReadOnlyList<Device> Discover(out string? unavailableReason)
    {
        unavailableReason = null;
        int threads = ReadPositiveInt(ThreadsVariable) ?? Environment.ProcessorCount;
        int simd = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;
        bool fma = Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        int fmaUnits = ReadPositiveInt(FmaUnitsVariable) ?? 2;
        double clock = ReadClockMHz();
        double flopsPerCycle = simd * (fma ? 2.0 * fmaUnits : 1.0);
        double bandwidth = HostBandwidthGBps;
        return
        [
            new CpuDevice
            {
                Name = "cpu",
                Kind = DeviceKind.Cpu,
                Hardware = DeviceHardware.Cpu,
                DisplayName = ReadCpuInfo("model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
                Vendor = ReadCpuInfo("vendor_id") ?? "unknown",
                ComputeUnits = threads,
                Threads = threads,
                MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
                MaxGroupSize = 1024,
                SharedMemoryPerGroup = 64 * 1024,
                SimdWidth = simd,
                ClockMHz = clock,
                PeakGflops = threads * flopsPerCycle * clock / 1000.0,
                PeakGBps = bandwidth,
                Engine = new DeviceEngine("CPU engine", "the ops' SIMD paths, other kernels as JIT-specialised loops over the kernel struct; ILGPU's CPU accelerator (an emulator, for debugging) is reached through IlgpuAccelerator.Wrap"),
                PeakSource = $"{threads} cores × {simd} lanes × {(fma ? $"{fmaUnits} FMA units × 2" : "1")} × {clock:F0} MHz; bandwidth measured by a {threads}-thread STREAM triad with streaming stores",
            },
        ];
    }

    /// <summary>The variable's value, null when it is unset or blank.</summary>
    /// <exception cref="InvalidEnvironmentVariableException">It is set to anything but a positive integer.</exception>
    internal static int? ReadPositiveInt(string variable)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0)
            return value;
        throw new InvalidEnvironmentVariableException(variable, text, $"a positive integer up to {int.MaxValue}");
    }

    private static string? ReadCpuInfo(string key)
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
            return null;
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == key)
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static double ReadClockMHz()
    {
        const string maxFrequency = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
        if (File.Exists(maxFrequency) && double.TryParse(File.ReadAllText(maxFrequency).Trim(), CultureInfo.InvariantCulture, out double kHz))
            return kHz / 1000.0;
        return double.TryParse(ReadCpuInfo("cpu MHz"), CultureInfo.InvariantCulture, out double mhz) ? mhz : 0;
    }

    private static readonly Lazy<double> hostBandwidth = new(() => MeasureTriadBandwidth(ReadPositiveInt(ThreadsVariable) ?? Environment.ProcessorCount));

    /// <summary>The host memory's bandwidth in GB/s, measured once per process; OpenCL devices
    /// that are the host CPU share this figure, since they read the same memory.</summary>
    internal static double HostBandwidthGBps => hostBandwidth.Value;

    /// <summary>Best of ten parallel STREAM triads (a = b + s·c) over 3 × 32 MiB, counting the
    /// bytes read and written. The stores bypass the cache where the processor allows, so the
    /// write does not also cost a read of <c>a</c> that STREAM's byte count would leave out (an
    /// in-place kernel such as saxpy pays no such read, and would otherwise beat the "peak").</summary>
    private static unsafe double MeasureTriadBandwidth(int threads)
    {
        const int length = 8 << 20;
        float* a = (float*)NativeMemory.AlignedAlloc(length * sizeof(float), 64);
        float* b = (float*)NativeMemory.AlignedAlloc(length * sizeof(float), 64);
        float* c = (float*)NativeMemory.AlignedAlloc(length * sizeof(float), 64);
        try
        {
            new Span<float>(a, length).Clear();
            new Span<float>(b, length).Fill(1f);
            new Span<float>(c, length).Fill(2f);
            int chunk = length / threads / Vector256<float>.Count * Vector256<float>.Count;
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            double best = double.MaxValue;
            for (int round = 0; round < 10; round++)
            {
                long start = Stopwatch.GetTimestamp();
                Parallel.For(0, threads, options, t =>
                {
                    int end = t == threads - 1 ? length : (t + 1) * chunk;
                    int i = t * chunk;
                    for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
                    {
                        var sum = Vector256.LoadAligned(b + i) + Vector256.LoadAligned(c + i) * 3f;
                        if (Avx.IsSupported)
                            Avx.StoreAlignedNonTemporal(a + i, sum);
                        else
                            sum.StoreAligned(a + i);
                    }
                    for (; i < end; i++)
                        a[i] = b[i] + c[i] * 3f;
                });
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            return 3.0 * length * sizeof(float) / best / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }
}
