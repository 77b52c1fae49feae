using System.Text.Json.Nodes;
using Gpu.Bench;
using Gpu.Bench.Reporting;

namespace Gpu.Tests.Bench;

/// <summary>The device-side kernel time in bench's reports: which time the rates use, and that
/// results.json keeps it through a write, a read and <c>bench merge</c>, including with files
/// written before the field existed.</summary>
public sealed class KernelTimeReportTests
{
    private static readonly DeviceReport OpenCL = new(0, "opencl:0", "PoCL", "vendor", "OpenCL (Cpu)", 2, 1L << 30, 100, 50, "nominal",
        new MeasuredPeaks(Gflops: 80, Gbps: 40, "fma probe", "saxpy probe"));

    private static readonly Timing WithKernels = new([0.004, 0.002, 0.003], KernelSeconds: [0.0015, 0.001, 0.0012]);

    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("bench-kernel-time").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void AnOperationsRatesUseItsSmallestKernelTime()
    {
        var result = BenchResult.From(new Measurement("saxpy", "n", "opencl:0", WithKernels, new Work(Flops: 2e6, Bytes: 12e6),
            new PeerTiming("PyTorch", null, "2", 0.004)), OpenCL);
        Assert.That(result.RateTime, Is.EqualTo(RateTime.Kernel));
        Assert.That(result.KernelMinSeconds, Is.EqualTo(0.001));
        Assert.That(result.KernelMedianSeconds, Is.EqualTo(0.0012));
        Assert.That(result.KernelRunSeconds, Is.EqualTo(new[] { 0.0015, 0.001, 0.0012 }));
        Assert.That(result.Gflops, Is.EqualTo(2.0).Within(1e-12));
        Assert.That(result.Gbps, Is.EqualTo(12.0).Within(1e-12));
        Assert.That(result.PercentMeasuredBandwidth, Is.EqualTo(30.0).Within(1e-9));
        // The wall figures stay as measured, and the peer (timed by the host) is compared with our wall time.
        Assert.That((result.MinSeconds, result.MedianSeconds, result.MaxSeconds), Is.EqualTo((0.002, 0.003, 0.004)));
        Assert.That(result.PeerRatio, Is.EqualTo(2.0).Within(1e-12));
    }

    [Test]
    public void EndToEndCasesAndEnginesWithoutAClockUseTheWallTime()
    {
        var endToEnd = BenchResult.From(new Measurement("models", "vdsr", "opencl:0", WithKernels, new Work(Flops: 2e6), Scope: CaseScope.EndToEnd), OpenCL);
        Assert.That(endToEnd.RateTime, Is.EqualTo(RateTime.Wall));
        Assert.That(endToEnd.Gflops, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(endToEnd.KernelMedianSeconds, Is.EqualTo(0.0012), "the kernel time is still reported beside the wall time");

        var cpu = BenchResult.From(new Measurement("saxpy", "n", "opencl:0", new Timing([0.004, 0.002]), new Work(Flops: 2e6)), OpenCL);
        Assert.That(cpu.RateTime, Is.EqualTo(RateTime.Wall));
        Assert.That(cpu.KernelMinSeconds, Is.Null);
        Assert.That(cpu.KernelMedianSeconds, Is.Null);
        Assert.That(cpu.Gflops, Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void KernelTimesSurviveTheFilesAndAMergeWithAnOlderFile()
    {
        var measured = BenchResult.From(new Measurement("saxpy", "n = 4", "opencl:0", WithKernels, new Work(Flops: 2e6, Bytes: 12e6)), OpenCL);
        var report = new BenchReport(BenchReport.CurrentSchema, [Run("new")], [OpenCL], [measured]);
        string current = Path.Combine(directory, "current");
        ReportWriter.Write(report, current);

        var read = ReportWriter.Read(Path.Combine(current, "results.json")).Results.Single();
        Assert.That((read.KernelMinSeconds, read.KernelMedianSeconds, read.RateTime), Is.EqualTo((0.001, 0.0012, RateTime.Kernel)));
        Assert.That(read.KernelRunSeconds, Is.EqualTo(measured.KernelRunSeconds));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(current, "results.json")))!;
        Assert.That(json["results"]![0]!["rate_time"]!.GetValue<string>(), Is.EqualTo("kernel"));
        Assert.That(File.ReadAllText(Path.Combine(current, "report.md")), Does.Contain("| 2.000 | 3.000 | 4.000 | 1.000 / 1.200 |"));
        string[] csv = File.ReadAllLines(Path.Combine(current, "results.csv"));
        Assert.That(csv[0], Does.EndWith(",kernel_min_s,kernel_median_s,rate_time"));
        Assert.That(csv[1], Does.EndWith(",0.001,0.0012,kernel"));

        // A file from before kernel times: the same result with the new fields removed.
        var old = JsonNode.Parse(File.ReadAllText(Path.Combine(current, "results.json")))!;
        old["runs"]![0]!["machine"]!["host"] = "old";
        foreach (string field in (string[])["kernel_min_seconds", "kernel_median_seconds", "kernel_run_seconds", "rate_time"])
            Assert.That(old["results"]![0]!.AsObject().Remove(field), field);
        string oldPath = Path.Combine(directory, "old.json");
        File.WriteAllText(oldPath, old.ToJsonString());

        var merged = ReportWriter.Merge([ReportWriter.Read(Path.Combine(current, "results.json")), ReportWriter.Read(oldPath)]);
        ReportWriter.Write(merged, Path.Combine(directory, "merged"));
        var again = ReportWriter.Read(Path.Combine(directory, "merged", "results.json"));
        Assert.That(again.Runs.Select(r => r.Machine.Host), Is.EqualTo(new[] { "new", "old" }));
        var (kept, older) = (again.Results[0], again.Results[1]);
        Assert.That((kept.Run, kept.KernelMedianSeconds, kept.RateTime), Is.EqualTo((0, 0.0012, RateTime.Kernel)));
        Assert.That((older.Run, older.KernelMinSeconds, older.KernelMedianSeconds, older.KernelRunSeconds, older.RateTime),
            Is.EqualTo((1, (double?)null, (double?)null, (IReadOnlyList<double>?)null, RateTime.Wall)));
        string markdown = File.ReadAllText(Path.Combine(directory, "merged", "report.md"));
        Assert.That(markdown, Does.Contain("| n = 4 | opencl:0 @ new | 2.000 | 3.000 | 4.000 | 1.000 / 1.200 |"));
        Assert.That(markdown, Does.Contain("| n = 4 | opencl:0 @ old | 2.000 | 3.000 | 4.000 |  |"));
    }

    private static RunInfo Run(string host) => new(new MachineInfo(host, "cpu", 2, [], 1L << 30, "X64"), "os", "dotnet", new Dictionary<string, string>(), null, [], false,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, []);
}
