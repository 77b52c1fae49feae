using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gpu.Bench.Reporting;

/// <summary>Writes a <see cref="BenchReport"/> as report.md, results.json, results.csv and the charts.</summary>
public static class ReportWriter
{
    /// <summary>Writes every file of the report into <paramref name="directory"/> (created if missing).</summary>
    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> Write(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        string json = Path.Combine(directory, "results.json"), csv = Path.Combine(directory, "results.csv"), markdown = Path.Combine(directory, "report.md");
        File.WriteAllText(json, JsonSerializer.Serialize(report, RunEnvironment.Json));
        File.WriteAllText(csv, Csv(report));
        var charts = Charts.Write(report, directory);
        File.WriteAllText(markdown, Markdown(report, charts.Select(Path.GetFileName).OfType<string>()));
        return [markdown, json, csv, .. charts];
    }

    /// <summary>Reads a results.json written by this or an earlier build of the same schema.</summary>
    public static BenchReport Read(string path)
    {
        var report = JsonSerializer.Deserialize<BenchReport>(File.ReadAllText(path), RunEnvironment.Json)
            ?? throw new InvalidDataException($"{path} holds no report");
        return report.Schema == BenchReport.CurrentSchema ? report
            : throw new InvalidDataException($"{path} has schema '{report.Schema}', this bench reads '{BenchReport.CurrentSchema}'");
    }

    /// <summary>Combines reports: their runs side by side, each device and result renumbered to its run in the merged list.</summary>
    public static BenchReport Merge(IReadOnlyList<BenchReport> reports)
    {
        var runs = new List<RunInfo>();
        var devices = new List<DeviceReport>();
        var results = new List<BenchResult>();
        foreach (var report in reports)
        {
            int offset = runs.Count;
            runs.AddRange(report.Runs);
            devices.AddRange(report.Devices.Select(d => d with { Run = d.Run + offset }));
            results.AddRange(report.Results.Select(r => r with { Run = r.Run + offset }));
        }
        return new(BenchReport.CurrentSchema, runs, devices, results);
    }

    private static string Csv(BenchReport report)
    {
        var text = new StringBuilder("suite,case,run,host,device,min_s,median_s,max_s,spread,runs,flops,bytes,gflops,gbps,intensity," +
            "pct_measured_compute,pct_measured_bandwidth,pct_nominal_compute,pct_nominal_bandwidth,peer,peer_variant,peer_version,peer_s,peer_ratio,flags,note,peers_s,kernel_min_s,kernel_median_s,rate_time\n");
        foreach (var r in report.Results)
        {
            string?[] fields =
            [
                r.Suite, r.Case, Number(r.Run), report.Runs[r.Run].Machine.Host, r.Device, Number(r.MinSeconds), Number(r.MedianSeconds), Number(r.MaxSeconds),
                Number(r.Spread), Number(r.RunSeconds.Count), Number(r.Flops), Number(r.Bytes), Number(r.Gflops), Number(r.Gbps), Number(r.Intensity),
                Number(r.PercentMeasuredCompute), Number(r.PercentMeasuredBandwidth), Number(r.PercentNominalCompute), Number(r.PercentNominalBandwidth),
                r.Peer?.Name, r.Peer?.Variant, r.Peer?.Version, Number(r.Peer?.Seconds), Number(r.PeerRatio), string.Join(';', r.Flags), r.Note,
                string.Join(';', r.AllPeers.Select(p => $"{p.Name}={Number(p.Seconds)}")),
                Number(r.KernelMinSeconds), Number(r.KernelMedianSeconds), r.RateTime.ToString().ToLowerInvariant(),
            ];
            text.AppendJoin(',', fields.Select(Quote)).Append('\n');
        }
        return text.ToString();
    }

    private static string Number(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string? field)
        => field is null ? "" : field.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    private static string Markdown(BenchReport report, IEnumerable<string> charts)
    {
        var text = new StringBuilder();
        var labels = new DeviceLabels(report);
        bool quick = report.Runs.Any(r => r.Quick);
        text.AppendLine(quick ? "# Benchmark report (smoke run: --quick, small sizes, few runs; not figures to quote)" : "# Benchmark report").AppendLine();
        foreach (var (run, index) in report.Runs.Select((r, i) => (r, i)))
        {
            text.AppendLine($"## Run {index}: {run.Machine.Host}").AppendLine();
            text.AppendLine($"- {run.Machine.CpuModel}, {run.Machine.LogicalCores} logical cores ({run.Machine.Architecture}; {string.Join(", ", run.Machine.CpuFlags)}), {run.Machine.MemoryBytes / (1L << 30)} GiB");
            text.AppendLine($"- {run.Os}; {run.Dotnet}; {string.Join(", ", run.Libraries.Select(l => $"{l.Key} {l.Value}"))}");
            text.AppendLine($"- commit {run.Commit ?? "unknown"}; `bench {string.Join(' ', run.Arguments)}`; {run.Started:u} to {run.Finished:u} ({(run.Finished - run.Started).TotalSeconds:F0} s)");
            text.AppendLine($"- host FMA probe (GFLOP/s, one thread / all cores): before {Fma(run.FmaBefore)}, after {Fma(run.FmaAfter)}");
            foreach (string note in run.Notes)
                text.AppendLine($"- {note}");
            text.AppendLine();
            if (run.Peers is { Count: > 0 } peers)
            {
                text.AppendLine("| peer | version, or why it did not run | peer of |").AppendLine("|---|---|---|");
                foreach (var peer in peers)
                    text.AppendLine($"| {peer.Name} | {Cell(peer.State)} | {peer.Role} |");
                text.AppendLine();
            }
        }
        text.AppendLine("## Devices and peaks").AppendLine();
        // A label may name one device in several runs of a build (disjoint cases); its peaks are per run.
        bool runs = report.Runs.Count > 1;
        text.AppendLine($"|{(runs ? " run |" : "")} device | name | engine | measured GFLOP/s | nominal GFLOP/s | measured GB/s | nominal GB/s |")
            .AppendLine($"|{(runs ? "---|" : "")}---|---|---|---|---|---|---|");
        foreach (var d in report.Devices)
            text.AppendLine($"|{(runs ? $" {d.Run} |" : "")} {labels.Of(d.Run, d.Name)} | {d.DisplayName} | {d.Engine} | {d.Peaks.Gflops:F1} | {d.NominalGflops:F1} | {d.Peaks.Gbps:F1} | {d.NominalGbps:F1} |");
        text.AppendLine();
        foreach (var d in report.Devices.Where(d => d.SensorsBefore is not null || d.SensorsAfter is not null))
            text.AppendLine($"- {labels.Of(d.Run, d.Name)} sensors (NVML): before {Cell(d.SensorsBefore?.ToString() ?? "none")}; after {Cell(d.SensorsAfter?.ToString() ?? "none")}");
        if (report.Devices.Any(d => d.SensorsBefore is not null || d.SensorsAfter is not null))
            text.AppendLine();
        text.AppendLine("min / median / max ms are wall times (host stopwatch, device waited for). kernel ms is the device's own clock summed over the");
        text.AppendLine("kernels a run launched (smallest / median of the runs; empty where the engine has no device clock, such as `cpu`). Rates use the");
        text.AppendLine("smallest kernel time where there is one, except for end-to-end suites (models, compression, pipeline), which use the fastest wall");
        text.AppendLine("time; a rate from kernel time is marked ᵏ. × peer compares wall times. % are of the measured peaks (nominal in results.json).");
        text.AppendLine($"A figure more than {BenchResult.PeakRepeatability:P0} above a measured peak (the peaks are best-of-runs samples, repeatable to about that) " +
            "is a measurement error until explained, and is marked **⚠** (the note says what the suite counts).").AppendLine();
        foreach (var suite in report.Results.GroupBy(r => r.Suite))
        {
            text.AppendLine($"## {suite.Key}").AppendLine();
            text.AppendLine("| case | device | min ms | median ms | max ms | kernel ms | spread | GFLOP/s | % compute | GB/s | % bandwidth | peer ms | × peer | other peers | flags |");
            text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in suite)
            {
                string peer = r.Peer is { } p ? $"{Ms(p.Seconds)} ({p.Name}{(p.Variant is { Length: > 0 } v ? $", {v}" : "")})" : "";
                string flags = string.Join(" ", r.Flags.Select(f => f == BenchResult.Noisy ? f : $"**⚠ {f}**")) + (r.Note is { } n ? $" {n}" : "");
                string kernel = r is { KernelMinSeconds: { } kernelMin, KernelMedianSeconds: { } kernelMedian } ? $"{Ms(kernelMin)} / {Ms(kernelMedian)}" : "";
                string fromKernel = r.RateTime == RateTime.Kernel ? "ᵏ" : "";
                text.AppendLine($"| {r.Case} | {labels.Of(r.Run, r.Device)} | {Ms(r.MinSeconds)} | {Ms(r.MedianSeconds)} | {Ms(r.MaxSeconds)} | {kernel} | " +
                    $"{r.Spread:P0} | {Rate(r.Gflops, fromKernel)} | {F(r.PercentMeasuredCompute)} | {Rate(r.Gbps, fromKernel)} | {F(r.PercentMeasuredBandwidth)} | {peer} | {F(r.PeerRatio, "F2")} | " +
                    $"{string.Join("; ", r.AllPeers.Where(p => r.Peer is null || p.Name != r.Peer.Name).Select(OtherPeer))} | {flags} |");
            }
            text.AppendLine();
        }
        text.AppendLine("## Charts").AppendLine();
        foreach (string chart in charts.Where(c => c.EndsWith(".svg", StringComparison.Ordinal)))
            text.AppendLine($"![{Path.GetFileNameWithoutExtension(chart)}]({chart})").AppendLine();
        return text.ToString();
    }

    /// <summary>A peer beside the primary one: its time, rate and (on the device) % of the measured peak, the ratio, and how far its output was from ours.</summary>
    private static string OtherPeer(PeerResult peer)
        => $"{peer.Name}{(peer.Version is { } version ? $" {version}" : "")}: {Ms(peer.Seconds)} ms" +
            (peer.Gflops is { } gflops ? $", {gflops:F1} GFLOP/s" : "") + (peer.PercentMeasuredCompute is { } percent ? $" ({percent:F1} % of peak)" : "") +
            $", × {peer.Ratio:F2}" + (peer.MaxAbsDifference is { } difference ? $", max diff {difference:G2}" : "");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Fma(FmaReading? reading) => reading is { } r ? $"{r.OneThread:F0} / {r.AllCores:F0}" : "n/a";

    /// <summary>Seconds as milliseconds: three decimals, or three significant digits below 0.1 ms, where launch costs lie.</summary>
    private static string Ms(double seconds)
    {
        double milliseconds = seconds * 1e3;
        return milliseconds.ToString(milliseconds < 0.1 ? "G3" : "F3", CultureInfo.InvariantCulture);
    }

    private static string F(double? value, string format = "F1") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";

    /// <summary>A rate with the mark of the time it divides by.</summary>
    private static string Rate(double? value, string mark) => value is null ? "" : F(value) + mark;
}
