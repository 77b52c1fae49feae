using Gpu.Bench;
using Gpu.Bench.Core;
using Gpu.Bench.Reporting;
using Gpu.Core;

// bench [suite ...] [--quick] [--devices all|name,name] [--filter TEXT] [--frames N (pipeline clip)] [--out DIR]: suites run in the order given; none means all.
// bench merge a.json b.json ... --out DIR: one report over several runs.
var suites = new Dictionary<string, Action<TextWriter, IReadOnlyList<Device>>>(StringComparer.OrdinalIgnoreCase)
{
    ["saxpy"] = (output, devices) => SaxpyBench.Run(output, devices),
    ["launch"] = (output, devices) => LaunchBench.Run(output, devices),
    ["gemm"] = (output, devices) => Gpu.Bench.Gemm.GemmBench.Run(output, devices),
    ["sequence"] = (output, devices) => Gpu.Bench.Sequence.SequenceBench.Run(output, devices),
    ["conv"] = (output, devices) => Gpu.Bench.Image.ConvBench.Run(output, devices),
    ["image"] = (output, devices) => Gpu.Bench.Image.ImageOpsBench.Run(output, devices),
    ["models"] = (output, devices) => Gpu.Bench.Models.ModelBench.Run(output, devices),
    ["pipeline"] = (output, devices) => Gpu.Bench.Pipeline.PipelineBench.Run(output, devices),
    ["compression"] = (output, devices) => Gpu.Bench.Compression.CompressionBench.Run(output, devices),
};
string usage = $"usage: bench [{string.Join("|", suites.Keys)} ...] [--quick] [--devices all|cpu,opencl:0,...] [--filter TEXT] [--frames N] [--out DIR]\n" +
    "       bench merge a.json b.json ... --out DIR";

if (args is ["merge", .. var mergeArguments])
    return Merge(mergeArguments);

var started = DateTimeOffset.UtcNow;
var requested = new List<string>();
IReadOnlyList<Device> devices = Devices.All;
string? outDirectory = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--filter" && i + 1 < args.Length)
        BenchFilter.Text = args[++i];
    else if (args[i] == "--quick")
        QuickMode.Enabled = true;
    else if (args[i] == "--out" && i + 1 < args.Length)
        outDirectory = args[++i];
    else if (args[i] == "--frames" && i + 1 < args.Length && int.TryParse(args[i + 1], out int frames) && frames > 0)
    {
        Gpu.Bench.Pipeline.PipelineBench.Frames = frames;
        i++;
    }
    else if (args[i] == "--devices" && i + 1 < args.Length)
    {
        string names = args[++i];
        if (names == "all")
            continue;
        try
        {
            devices = [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Devices.Get)];
        }
        catch (DeviceNotFoundException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
    else if (suites.ContainsKey(args[i]))
        requested.Add(args[i]);
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}'; {usage}");
        return 2;
    }
}

Console.WriteLine($"devices: {string.Join(", ", devices.Select(d => $"{d.Name} ({d.DisplayName}, nominal peak {d.PeakGflops:F0} GFLOP/s, {d.PeakGBps:F0} GB/s)"))}");
var fmaBefore = PrintFma("before the suites");
foreach (var backend in Devices.Backends.Where(b => b.UnavailableReason is not null))
    Console.WriteLine($"{backend.Backend}: no devices ({backend.UnavailableReason})");
Console.WriteLine("ms columns are wall times; an operation's rates on a device with its own clock (OpenCL, CUDA) use its kernel time (docs/benchmarks/README.md)");
if (QuickMode.Enabled)
    Console.WriteLine("--quick: small sizes and at most 3 timed runs a case, a smoke check rather than figures to quote");
var sensorsBefore = ReadSensors(devices, "before the suites");
var peaks = devices.ToDictionary(d => d.Name, d => PeakProbe.Measure(Console.Out, d, fmaBefore));
foreach (string suite in requested.Count > 0 ? requested : [.. suites.Keys])
{
    Console.WriteLine();
    suites[suite](Console.Out, devices);
}
Console.WriteLine();
var fmaAfter = PrintFma("after the suites");
var sensorsAfter = ReadSensors(devices, "after the suites");
var peers = PeerCatalog.Survey(devices);
foreach (var peer in peers)
    Console.WriteLine($"peer {peer.Name} ({peer.Role}): {peer.State}");
if (outDirectory is not null)
{
    var deviceReports = devices.Select(d => new DeviceReport(0, d.Name, d.DisplayName, d.Vendor, $"{d.Engine.Name} ({d.Hardware})", d.ComputeUnits, d.MemoryBytes,
        d.PeakGflops, d.PeakGBps, d.PeakSource, peaks[d.Name], sensorsBefore.GetValueOrDefault(d.Name), sensorsAfter.GetValueOrDefault(d.Name))).ToList();
    var run = new RunInfo(RunEnvironment.Machine(), RunEnvironment.Os, RunEnvironment.Dotnet, RunEnvironment.Libraries(), RunEnvironment.Commit(),
        args, QuickMode.Enabled, started, DateTimeOffset.UtcNow, fmaBefore, fmaAfter, BenchLog.Notes, peers);
    var results = BenchLog.Measurements.Select(m => BenchResult.From(m, deviceReports.First(d => d.Name == m.Device))).ToList();
    var report = new BenchReport(BenchReport.CurrentSchema, [run], deviceReports, results);
    PrintWritten(ReportWriter.Write(report, outDirectory), results.Count(r => r.AbovePeak));
}
return 0;

// The host's FMA throughput, printed before and after: the two differ when the shared machine's load changed during the run.
static FmaReading? PrintFma(string when)
{
    var reading = HostFmaProbe.Measure();
    if (reading is { } fma)
        Console.WriteLine($"host FMA throughput {when}: {fma.OneThread:F0} GFLOP/s on one thread, {fma.AllCores:F0} on {Environment.ProcessorCount} " +
            "(the CPU's nominal peak assumes every core at two FMAs a cycle)");
    return reading;
}

// GPU clocks, power and temperature (NVML) before and after: a clock that fell or a temperature that rose means throttling.
static Dictionary<string, DeviceSensors> ReadSensors(IReadOnlyList<Device> devices, string when)
{
    var readings = new Dictionary<string, DeviceSensors>();
    foreach (var device in devices)
        if (device.ReadSensors() is { } sensors)
        {
            readings[device.Name] = sensors;
            Console.WriteLine($"{device.Name} {when}: {sensors}");
        }
    return readings;
}

static void PrintWritten(IReadOnlyList<string> files, int abovePeak)
{
    if (abovePeak > 0)
        Console.WriteLine($"{abovePeak} result(s) more than {BenchResult.PeakRepeatability:P0} above a measured peak: flagged in every report, a measurement error until explained");
    Console.WriteLine($"wrote {files.Count} files: {string.Join(", ", files.Select(Path.GetFileName))} in {Path.GetDirectoryName(Path.GetFullPath(files[0]))}");
}

int Merge(string[] arguments)
{
    int outIndex = Array.IndexOf(arguments, "--out");
    string[] inputs = [.. arguments.Where((_, i) => i != outIndex && i != outIndex + 1)];
    if (outIndex < 0 || outIndex + 1 >= arguments.Length || inputs.Length == 0)
    {
        Console.Error.WriteLine(usage);
        return 2;
    }
    try
    {
        var report = ReportWriter.Merge([.. inputs.Select(ReportWriter.Read)]);
        PrintWritten(ReportWriter.Write(report, arguments[outIndex + 1]), report.Results.Count(r => r.AbovePeak));
        return 0;
    }
    catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"bench merge: {e.Message}");
        return 1;
    }
}
