using System.Text.Json.Serialization;
using Gpu.Core;

namespace Gpu.Bench.Reporting;

/// <summary>The whole of results.json: the runs it came from (one, or several after
/// <c>bench merge</c>), their devices with peaks, and every result. The schema is documented in
/// docs/benchmarks/README.md; fields are only ever added, and <see cref="Schema"/> changes when one changes meaning.</summary>
/// <param name="Schema">The schema name and version.</param>
/// <param name="Runs">Where and when the results were taken.</param>
/// <param name="Devices">Every measured device of every run, with its peaks.</param>
/// <param name="Results">Every case on every device.</param>
public sealed record BenchReport(string Schema, IReadOnlyList<RunInfo> Runs, IReadOnlyList<DeviceReport> Devices, IReadOnlyList<BenchResult> Results)
{
    /// <summary>The schema this build writes and reads.</summary>
    public const string CurrentSchema = "gpucompression-bench/1";

    /// <summary>The device of a result.</summary>
    public DeviceReport DeviceOf(BenchResult result) => Devices.First(d => d.Run == result.Run && d.Name == result.Device);
}

/// <summary>One bench process: the machine, the software, the arguments and the host's load.</summary>
/// <param name="Machine">The host.</param>
/// <param name="Os">The operating system as .NET describes it.</param>
/// <param name="Dotnet">The .NET runtime.</param>
/// <param name="Libraries">Library versions by name (ILGPU, ScottPlot, PyTorch as the peer interpreter reports it).</param>
/// <param name="Commit">The repository's git commit (with <c>-dirty</c> for local changes), or null outside a checkout.</param>
/// <param name="Arguments">The command line after <c>bench</c>.</param>
/// <param name="Quick">Whether <c>--quick</c> (small sizes, few runs) was given.</param>
/// <param name="Started">When the run started (UTC).</param>
/// <param name="Finished">When it finished (UTC).</param>
/// <param name="FmaBefore">The host FMA probe before the suites, or null without FMA.</param>
/// <param name="FmaAfter">The probe after them: far from <paramref name="FmaBefore"/>, the host's load changed meanwhile.</param>
/// <param name="Notes">Suites or cases skipped or reduced, with the reason.</param>
/// <param name="Peers">Every peer bench knows, present with its version or absent with the reason; null in files written before peers were listed.</param>
public sealed record RunInfo(MachineInfo Machine, string Os, string Dotnet, IReadOnlyDictionary<string, string> Libraries, string? Commit,
    IReadOnlyList<string> Arguments, bool Quick, DateTimeOffset Started, DateTimeOffset Finished, FmaReading? FmaBefore, FmaReading? FmaAfter,
    IReadOnlyList<string> Notes, IReadOnlyList<PeerStatus>? Peers = null);

/// <summary>A peer library in a run: present with its version, or absent with the reason.</summary>
/// <param name="Name">The peer, e.g. <c>CLBlast</c>.</param>
/// <param name="Role">Which suites and devices it is the peer of.</param>
/// <param name="Version">Its version where present, else null.</param>
/// <param name="Unavailable">Why it did not run (absent, or present with nothing to run on, such as CLBlast without an OpenCL device), or null where it could.</param>
public sealed record PeerStatus(string Name, string Role, string? Version, string? Unavailable)
{
    /// <summary>"1.5.3"; "absent: why" where the library is missing; "1.5.3, not run: why" where it is present with nothing to run on.</summary>
    public string State => (Version, Unavailable) switch
    {
        (_, null) => Version ?? "",
        (null, { } reason) => $"absent: {reason}",
        ({ } version, { } reason) => $"{version}, not run: {reason}",
    };
}

/// <summary>The host.</summary>
/// <param name="Host">Its host name.</param>
/// <param name="CpuModel">The processor's model name (from /proc/cpuinfo on Linux, else the architecture).</param>
/// <param name="LogicalCores">Logical processors this process may use.</param>
/// <param name="CpuFlags">The instruction sets .NET reports usable (avx2, fma, avx512f, …).</param>
/// <param name="MemoryBytes">Memory available to the process.</param>
/// <param name="Architecture">The process architecture (X64, Arm64).</param>
public sealed record MachineInfo(string Host, string CpuModel, int LogicalCores, IReadOnlyList<string> CpuFlags, long MemoryBytes, string Architecture);

/// <summary>One reading of the host FMA probe in GFLOP/s.</summary>
/// <param name="OneThread">One thread.</param>
/// <param name="AllCores">One thread per logical core together.</param>
public sealed record FmaReading(double OneThread, double AllCores);

/// <summary>A measured device with its nominal and measured peaks.</summary>
/// <param name="Run">The index of its run in <see cref="BenchReport.Runs"/>.</param>
/// <param name="Name">Its selecting name (<c>cpu</c>, <c>opencl:0</c>, <c>cuda:0</c>).</param>
/// <param name="DisplayName">The product name the driver reports.</param>
/// <param name="Vendor">The vendor the driver reports.</param>
/// <param name="Engine">The engine that runs its kernels (e.g. ILGPU CUDA, the OpenCL 1.2 engine) and the hardware behind it.</param>
/// <param name="ComputeUnits">Cores, compute units or multiprocessors.</param>
/// <param name="MemoryBytes">Memory it can allocate from.</param>
/// <param name="NominalGflops">The float32 peak estimated from its specification.</param>
/// <param name="NominalGbps">The bandwidth estimated or measured by the library at start-up.</param>
/// <param name="NominalSource">How the nominal figures were obtained.</param>
/// <param name="Peaks">The peaks measured in this run.</param>
/// <param name="SensorsBefore">The GPU's clocks, power and temperature before the suites (NVML), or null where the driver reports none.</param>
/// <param name="SensorsAfter">The same after the suites: a lower clock or a higher temperature means the GPU throttled during the run.</param>
public sealed record DeviceReport(int Run, string Name, string DisplayName, string Vendor, string Engine, int ComputeUnits, long MemoryBytes,
    double NominalGflops, double NominalGbps, string NominalSource, MeasuredPeaks Peaks, DeviceSensors? SensorsBefore = null, DeviceSensors? SensorsAfter = null);

/// <summary>Peaks measured on a device at the start of a run; every result is judged against them.</summary>
/// <param name="Gflops">float32 FMA throughput in GFLOP/s.</param>
/// <param name="Gbps">Streaming bandwidth in GB/s.</param>
/// <param name="ComputeProbe">What measured <paramref name="Gflops"/>.</param>
/// <param name="BandwidthProbe">What measured <paramref name="Gbps"/>.</param>
public sealed record MeasuredPeaks(double Gflops, double Gbps, string ComputeProbe, string BandwidthProbe);

/// <summary>Which time a result's rates (GFLOP/s, GB/s, % of peak) divide the counted work by.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RateTime>))]
public enum RateTime
{
    /// <summary>The fastest wall time: engines without a device clock, and end-to-end cases.</summary>
    [JsonStringEnumMemberName("wall")]
    Wall,

    /// <summary>The smallest device-side kernel time of the runs.</summary>
    [JsonStringEnumMemberName("kernel")]
    Kernel,
}

/// <summary>One case on one device, judged against the device's peaks. Rates use the smallest kernel
/// time where the device timed its kernels and the case is not end-to-end, else the fastest wall time
/// (<see cref="RateTime"/>); peer ratios compare wall times, as the peers are timed by the host.</summary>
/// <param name="Suite">The suite.</param>
/// <param name="Case">The case label.</param>
/// <param name="Run">The index of its run in <see cref="BenchReport.Runs"/>.</param>
/// <param name="Device">The device name.</param>
/// <param name="MinSeconds">The fastest timed run.</param>
/// <param name="MedianSeconds">The median timed run.</param>
/// <param name="MaxSeconds">The slowest timed run.</param>
/// <param name="Spread">(max − min) / median.</param>
/// <param name="RunSeconds">Every timed run.</param>
/// <param name="Flops">Counted flops of one call, or null.</param>
/// <param name="Bytes">Counted bytes of one call, or null.</param>
/// <param name="Gflops">Attained GFLOP/s, or null.</param>
/// <param name="Gbps">Attained GB/s, or null.</param>
/// <param name="Intensity">Flops per byte, or null.</param>
/// <param name="PercentMeasuredCompute">GFLOP/s as % of the measured compute peak, or null.</param>
/// <param name="PercentMeasuredBandwidth">GB/s as % of the measured bandwidth peak, or null.</param>
/// <param name="PercentNominalCompute">GFLOP/s as % of the nominal compute peak, or null.</param>
/// <param name="PercentNominalBandwidth">GB/s as % of the nominal bandwidth peak, or null.</param>
/// <param name="Peer">The primary peer's timing (PyTorch where it ran), or null.</param>
/// <param name="PeerRatio">Peer seconds / our fastest seconds (above 1: we are faster), or null.</param>
/// <param name="Flags">Warnings: <c>above-measured-compute-peak</c>, <c>above-measured-bandwidth-peak</c>, <c>noisy</c>,
/// <c>peer-above-measured-compute-peak</c>.</param>
/// <param name="Note">The suite's explanation of a figure, or null.</param>
/// <param name="Peers">Every peer of the case (the primary one first) with its rates; null in files written before peers were listed.</param>
/// <param name="KernelMinSeconds">The smallest device-side kernel time of the runs (the device's own clock summed over the kernels a run
/// launched, see <c>Accelerator.StartKernelTimer</c>), or null where the engine has no device clock (<c>cpu</c>) and in older files.</param>
/// <param name="KernelMedianSeconds">The median kernel time, or null likewise.</param>
/// <param name="KernelRunSeconds">Every run's kernel time, in the order of <paramref name="RunSeconds"/>, or null likewise.</param>
/// <param name="RateTime">Which time the rates use; <see cref="RateTime.Wall"/> in files written before kernel times were kept.</param>
public sealed record BenchResult(string Suite, string Case, int Run, string Device, double MinSeconds, double MedianSeconds, double MaxSeconds,
    double Spread, IReadOnlyList<double> RunSeconds, double? Flops, double? Bytes, double? Gflops, double? Gbps, double? Intensity,
    double? PercentMeasuredCompute, double? PercentMeasuredBandwidth, double? PercentNominalCompute, double? PercentNominalBandwidth,
    PeerTiming? Peer, double? PeerRatio, IReadOnlyList<string> Flags, string? Note, IReadOnlyList<PeerResult>? Peers = null,
    double? KernelMinSeconds = null, double? KernelMedianSeconds = null, IReadOnlyList<double>? KernelRunSeconds = null, RateTime RateTime = RateTime.Wall)
{
    /// <summary>The flag of a device peer's rate (CLBlast's) above the device's measured FMA peak.</summary>
    public const string PeerAboveComputePeak = "peer-above-measured-compute-peak";

    /// <summary>The flag of a rate above the measured FMA peak.</summary>
    public const string AboveComputePeak = "above-measured-compute-peak";

    /// <summary>The flag of a rate above the measured bandwidth peak.</summary>
    public const string AboveBandwidthPeak = "above-measured-bandwidth-peak";

    /// <summary>How far above a measured peak a rate may read before it is flagged: the peaks are best-of-runs
    /// samples themselves, and the same probe read up to 12 % apart between runs of one day on the shared 2-core
    /// machine, so a case timing the probe's own kernel can beat the probe's reading by a few per cent.</summary>
    public const double PeakRepeatability = 0.05;

    /// <summary>The flag of runs that disagree by more than <see cref="NoisySpread"/>.</summary>
    public const string Noisy = "noisy";

    /// <summary>The spread above which a result is flagged noisy: its runs differ by over half the median.</summary>
    public const double NoisySpread = 0.5;

    /// <summary>Judges <paramref name="measurement"/> against its device's peaks.</summary>
    public static BenchResult From(Measurement measurement, DeviceReport device)
    {
        var time = measurement.Time;
        var rateTime = measurement.Scope == CaseScope.Operation && time.KernelMin is not null ? RateTime.Kernel : RateTime.Wall;
        double seconds = rateTime == RateTime.Kernel ? time.DeviceSeconds : time.Min;
        double? gflops = measurement.Work.Flops / seconds / 1e9, gbps = measurement.Work.Bytes / seconds / 1e9;
        double? measuredCompute = 100 * gflops / device.Peaks.Gflops, measuredBandwidth = 100 * gbps / device.Peaks.Gbps;
        var flags = new List<string>();
        if (AboveMeasuredPeak(measuredCompute))
            flags.Add(AboveComputePeak);
        if (AboveMeasuredPeak(measuredBandwidth))
            flags.Add(AboveBandwidthPeak);
        if (time.Spread > NoisySpread)
            flags.Add(Noisy);
        PeerResult[] peers = [.. measurement.Peers.Select(p => PeerResult.From(p, measurement.Work, time.Min, device))];
        if (peers.Any(p => AboveMeasuredPeak(p.PercentMeasuredCompute)))
            flags.Add(PeerAboveComputePeak);
        return new(measurement.Suite, measurement.Case, device.Run, measurement.Device, time.Min, time.Median, time.Max, time.Spread, time.Seconds,
            measurement.Work.Flops, measurement.Work.Bytes, gflops, gbps, measurement.Work.Intensity,
            measuredCompute, measuredBandwidth, 100 * gflops / device.NominalGflops, 100 * gbps / device.NominalGbps,
            measurement.Peer, measurement.Peer is { } peer ? peer.Seconds / time.Min : null, flags, measurement.Note, peers,
            time.KernelMin, time.KernelMedian, time.KernelSeconds, rateTime);
    }

    /// <summary>Whether a rate, in % of a measured peak, is above that peak by more than <see cref="PeakRepeatability"/>.</summary>
    public static bool AboveMeasuredPeak(double? percentOfMeasured) => percentOfMeasured > 100 * (1 + PeakRepeatability);

    /// <summary>Every peer of the case; for files written before peers were listed, the primary one alone.</summary>
    public IReadOnlyList<PeerResult> AllPeers => Peers ?? (Peer is { } peer ? [PeerResult.From(peer, new Work(Flops, Bytes), MinSeconds, device: null)] : []);

    /// <summary>Whether any figure is above a measured peak.</summary>
    public bool AbovePeak => Flags.Contains(AboveComputePeak) || Flags.Contains(AboveBandwidthPeak);
}

/// <summary>One peer's figures for a case.</summary>
/// <param name="Name">The peer library.</param>
/// <param name="Variant">Which of its forms was fastest, or null.</param>
/// <param name="Version">Its version, or null.</param>
/// <param name="Seconds">Its time for one call.</param>
/// <param name="OnDevice">Whether it ran on the result's device (else on the host CPU).</param>
/// <param name="MaxAbsDifference">The largest difference of its output from ours, or null where not compared.</param>
/// <param name="Gflops">The case's counted flops over its time, or null.</param>
/// <param name="PercentMeasuredCompute">That as % of the device's measured compute peak, only for a peer on the device.</param>
/// <param name="Ratio">Its seconds / our fastest seconds (above 1: we are faster).</param>
public sealed record PeerResult(string Name, string? Variant, string? Version, double Seconds, bool OnDevice, double? MaxAbsDifference,
    double? Gflops, double? PercentMeasuredCompute, double Ratio)
{
    /// <summary>Judges <paramref name="peer"/>'s time by the case's work, and against <paramref name="device"/>'s
    /// measured peak where it ran on that device.</summary>
    public static PeerResult From(PeerTiming peer, Work work, double ourSeconds, DeviceReport? device)
    {
        double? gflops = work.Flops / peer.Seconds / 1e9;
        return new(peer.Name, peer.Variant, peer.Version, peer.Seconds, peer.OnDevice, peer.MaxAbsDifference, gflops,
            peer.OnDevice && device is not null ? 100 * gflops / device.Peaks.Gflops : null, peer.Seconds / ourSeconds);
    }

    /// <summary>The label of its bars and table entries: host peers by name, a device peer by name and device.</summary>
    public string Label(string deviceLabel) => OnDevice ? $"{Name} on {deviceLabel}" : Name;
}
