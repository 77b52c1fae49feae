using System.Diagnostics;
using System.Text.Json;
using Gpu.Bench.Reporting;

namespace Gpu.Tests.Bench;

/// <summary><c>bench --quick</c> as a user runs it (the built bench in its own process) on the CPU:
/// it must finish within the two minutes the smoke check promises, write the documented results.json
/// fields and every chart, and <c>bench merge</c> must combine two such reports.</summary>
[NonParallelizable]
public sealed class BenchReportTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("bench-report").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private static string Bench(TimeSpan limit, params string[] arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "bench.dll"), .. arguments])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bench did not start");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bench {string.Join(' ', arguments)} ran past {limit}");
        }
        TestContext.Out.WriteLine($"bench {string.Join(' ', arguments)} → {process.ExitCode}\n{output.Result}{error.Result}");
        Assert.That(process.ExitCode, Is.Zero, error.Result);
        return output.Result;
    }

    [Test]
    public void QuickRunWritesTheDocumentedReportAndMergeCombinesTwo()
    {
        string quick = Path.Combine(directory, "quick");
        // Two minutes is the smoke check's promise on the shared 2-core machine; a little slack for the test host.
        var watch = Stopwatch.StartNew();
        Bench(TimeSpan.FromMinutes(3), "--quick", "--devices", "cpu", "--out", quick);
        TestContext.Out.WriteLine($"bench --quick took {watch.Elapsed.TotalSeconds:F0} s");

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(quick, "results.json")));
        var root = document.RootElement;
        Assert.That(root.GetProperty("schema").GetString(), Is.EqualTo("gpucompression-bench/1"));
        var run = root.GetProperty("runs")[0];
        foreach (string field in (string[])["os", "dotnet", "commit", "arguments", "started", "finished", "fma_before", "fma_after", "notes"])
            Assert.That(run.TryGetProperty(field, out _), field);
        Assert.That(run.GetProperty("quick").GetBoolean());
        var machine = run.GetProperty("machine");
        Assert.That(machine.GetProperty("cpu_model").GetString(), Is.Not.Empty);
        Assert.That(machine.GetProperty("logical_cores").GetInt32(), Is.Positive);
        Assert.That(machine.GetProperty("cpu_flags").ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(run.GetProperty("libraries").GetProperty("ILGPU").GetString(), Is.EqualTo("1.5.3"));
        Assert.That(run.GetProperty("libraries").TryGetProperty("PyTorch", out _));
        var device = root.GetProperty("devices")[0];
        Assert.That(device.GetProperty("name").GetString(), Is.EqualTo("cpu"));
        Assert.That(device.GetProperty("peaks").GetProperty("gflops").GetDouble(), Is.Positive);
        Assert.That(device.GetProperty("peaks").GetProperty("gbps").GetDouble(), Is.Positive);
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        var suites = results.Select(r => r.GetProperty("suite").GetString()).ToHashSet();
        Assert.That(suites, Is.SupersetOf(new[] { "saxpy", "gemm", "sequence", "conv", "image", "models", "compression" }));
        foreach (var result in results)
        {
            Assert.That(result.GetProperty("min_seconds").GetDouble(), Is.Positive);
            Assert.That(result.GetProperty("median_seconds").GetDouble(), Is.GreaterThanOrEqualTo(result.GetProperty("min_seconds").GetDouble()));
            Assert.That(result.GetProperty("flags").ValueKind, Is.EqualTo(JsonValueKind.Array));
            // The CPU engine's kernels are host code: no device clock, so no kernel time, and rates from the wall time.
            Assert.That(result.GetProperty("kernel_median_seconds").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(result.GetProperty("rate_time").GetString(), Is.EqualTo("wall"));
            double flagged = 100 * (1 + BenchResult.PeakRepeatability);
            bool above = result.GetProperty("percent_measured_compute") is { ValueKind: JsonValueKind.Number } compute && compute.GetDouble() > flagged
                || result.GetProperty("percent_measured_bandwidth") is { ValueKind: JsonValueKind.Number } bandwidth && bandwidth.GetDouble() > flagged;
            Assert.That(result.GetProperty("flags").EnumerateArray().Any(f => f.GetString()!.StartsWith("above-measured", StringComparison.Ordinal)), Is.EqualTo(above),
                result.GetProperty("case").GetString());
        }
        // Every peer is listed, present with its version or absent with the reason, in results.json and report.md.
        string markdown = File.ReadAllText(Path.Combine(quick, "report.md"));
        var peers = run.GetProperty("peers").EnumerateArray().ToArray();
        Assert.That(peers.Select(p => p.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "PyTorch", "CLBlast", "cuBLAS", "ONNX Runtime", "OpenCV dnn" }));
        foreach (var peer in peers)
        {
            string name = peer.GetProperty("name").GetString()!;
            string? version = peer.GetProperty("version").GetString(), unavailable = peer.GetProperty("unavailable").GetString();
            Assert.That(string.IsNullOrEmpty(version) && string.IsNullOrEmpty(unavailable), Is.False, $"{name}: neither a version nor a reason");
            string state = (version, unavailable) switch { (_, null) => version!, (null, _) => $"absent: {unavailable}", _ => $"{version}, not run: {unavailable}" };
            Assert.That(markdown, Does.Contain($"| {name} | {state.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ")} |"), name);
        }
        // With the ONNX Runtime peer present, the shipped CRNN's result carries its time and its agreement with ours.
        if (peers.Single(p => p.GetProperty("name").GetString() == "ONNX Runtime").GetProperty("unavailable").ValueKind == JsonValueKind.Null)
        {
            var shipped = results.Single(r => r.GetProperty("case").GetString()!.StartsWith("crnn (shipped)", StringComparison.Ordinal));
            var runtime = shipped.GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "ONNX Runtime");
            Assert.That(runtime.GetProperty("seconds").GetDouble(), Is.Positive);
            Assert.That(runtime.GetProperty("max_abs_difference").GetDouble(), Is.LessThan(1e-3));
        }
        foreach (string file in (string[])["report.md", "results.csv", "bars-saxpy.svg", "bars-saxpy.png", "bars-gemm.png", "roofline-cpu.svg", "roofline-cpu.png"])
            Assert.That(new FileInfo(Path.Combine(quick, file)).Length, Is.Positive, file);

        string merged = Path.Combine(directory, "merged");
        Bench(TimeSpan.FromMinutes(1), "merge", Path.Combine(quick, "results.json"), Path.Combine(quick, "results.json"), "--out", merged);
        using var combined = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "results.json")));
        Assert.That(combined.RootElement.GetProperty("runs").GetArrayLength(), Is.EqualTo(2));
        Assert.That(combined.RootElement.GetProperty("results").GetArrayLength(), Is.EqualTo(2 * results.Length));
        Assert.That(Directory.GetFiles(merged, "roofline-*.png"), Has.Length.EqualTo(2));
    }

    [Test]
    public void AnAbsentPeerIsListedWithItsReason()
    {
        var machine = new MachineInfo("host", "cpu", 2, [], 1L << 30, "X64");
        PeerStatus[] peers =
        [
            new("CLBlast", "gemm on OpenCL devices", null, "the CLBlast library is not installed"), new("PyTorch", "every suite", "2.5.0", null),
            new("ONNX Runtime", "models", "1.32.0", "the ONNX export failed: no torch"),
        ];
        var run = new RunInfo(machine, "os", "dotnet", new Dictionary<string, string>(), null, [], false, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            null, null, [], peers);
        var report = new BenchReport(BenchReport.CurrentSchema, [run], [], []);
        ReportWriter.Write(report, directory);
        string markdown = File.ReadAllText(Path.Combine(directory, "report.md"));
        Assert.That(markdown, Does.Contain("| CLBlast | absent: the CLBlast library is not installed | gemm on OpenCL devices |"));
        Assert.That(markdown, Does.Contain("| PyTorch | 2.5.0 | every suite |"));
        Assert.That(markdown, Does.Contain("| ONNX Runtime | 1.32.0, not run: the ONNX export failed: no torch | models |"));
        var read = ReportWriter.Read(Path.Combine(directory, "results.json"));
        Assert.That(read.Runs[0].Peers, Is.EqualTo(peers));
    }

    [Test]
    public void DeviceLabelsTellRunsApartByBuildAndThenByNumber()
    {
        static RunInfo Run(string host, string? commit) => new(new MachineInfo(host, "cpu", 2, [], 1L << 30, "X64"), "os", "dotnet",
            new Dictionary<string, string>(), commit, [], false, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, []);
        static BenchResult Result(int run, string device, string @case) => new("gemm", @case, run, device, 1, 1, 1, 0, [1], null, null, null, null, null,
            null, null, null, null, null, null, [], null);
        // Runs 0 and 1 are the build before and after a change; run 2 repeats run 1's case on its build; run 3 another host.
        RunInfo[] runs = [Run("vm", "34b6104aa"), Run("vm", "0b04611bb-dirty"), Run("vm", "0b04611bb-dirty"), Run("box", "34b6104aa")];
        BenchResult[] results = [Result(0, "opencl:0", "sgemm"), Result(1, "opencl:0", "sgemm"), Result(2, "opencl:0", "sgemm"), Result(1, "cpu", "sgemm"),
            Result(2, "cpu", "conv"), Result(3, "opencl:0", "sgemm")];
        var labels = new DeviceLabels(new BenchReport(BenchReport.CurrentSchema, runs, [], results));
        Assert.That(labels.Of(0, "opencl:0"), Is.EqualTo("opencl:0 @ vm 34b6104"));
        Assert.That(labels.Of(1, "opencl:0"), Is.EqualTo("opencl:0 @ vm 0b04611-dirty #1"));
        Assert.That(labels.Of(2, "opencl:0"), Is.EqualTo("opencl:0 @ vm 0b04611-dirty #2"));
        Assert.That(labels.Of(1, "cpu"), Is.EqualTo("cpu @ vm 0b04611-dirty"), "runs 1 and 2 measured different cpu cases");
        Assert.That(labels.Of(3, "opencl:0"), Is.EqualTo("opencl:0 @ box"));
        var single = new DeviceLabels(new BenchReport(BenchReport.CurrentSchema, [runs[0]], [], [results[0]]));
        Assert.That(single.Of(0, "opencl:0"), Is.EqualTo("opencl:0"));
    }
}
