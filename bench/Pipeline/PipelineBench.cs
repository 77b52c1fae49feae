using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Media.Video;

namespace Gpu.Bench.Pipeline;

/// <summary>
/// The main job end to end: <c>gpuc run fip-detail</c> (CAN24) on a generated 1080p clip on every
/// device, as a user runs it (the built command line in its own process), beside the same clip
/// through tools/reference/bench_pipeline.py (ffmpeg pipe in, PyTorch, ffmpeg pipe out). Prints
/// frames/s, the ratio to PyTorch, how busy the model kept its device, each side's per-stage busy
/// time, and how closely the two encoded outputs agree.
/// </summary>
public static partial class PipelineBench
{
    private const string Model = "fip-detail";

    /// <summary>Frames of the generated clip (<c>--frames</c>).</summary>
    public static int Frames { get; set; } = 10;

    /// <summary>Runs the clip through gpuc on every device and through the peer, and prints the tables.</summary>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        const string label = "pipeline CAN24 1920×1080";
        if (!BenchFilter.Matches(label))
            return;
        if (QuickMode.Enabled)
        {
            // Ten 1080p frames through CAN24 and ffmpeg on each side take minutes here.
            BenchLog.Note(output, "pipeline: skipped under --quick (1080p frames through CAN24 and ffmpeg take minutes)");
            return;
        }
        if (!FfmpegTools.IsAvailable)
        {
            output.WriteLine($"pipeline: skipped, {FfmpegTools.InstallHint}");
            return;
        }
        string? weights = PyTorchPeer.FindInRepository(Path.Combine("samples", "models", Model + ".safetensors"));
        if (weights is null)
        {
            output.WriteLine($"pipeline: skipped, samples/models/{Model}.safetensors not found from {AppContext.BaseDirectory}");
            return;
        }
        string folder = Directory.CreateTempSubdirectory("bench-pipeline").FullName;
        try
        {
            string clip = Path.Combine(folder, "clip.mp4");
            RunTool("ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-frames:v",
                Frames.ToString(CultureInfo.InvariantCulture), "-c:v", "libx264", "-pix_fmt", "yuv420p", clip]);
            int threads = Environment.ProcessorCount;
            output.WriteLine($"pipeline: {Model} (CAN24, folded norms) on a generated 1920×1080 clip of {Frames} frames (testsrc2, H.264), " +
                $"decoded and encoded (libx264, default quality) by ffmpeg; gpuc as a user runs it, PyTorch with {threads} threads");
            output.WriteLine("  (fps over the pipeline's wall time, first frame read to output closed; model busy = the model stage's busy time / wall time)");

            string peerOutput = Path.Combine(folder, "pytorch.mp4");
            var (peer, unavailable) = PyTorchPeer.Run("bench_pipeline.py", [clip, peerOutput, weights, threads.ToString(CultureInfo.InvariantCulture)], threads);
            double? peerFps = peer?.GetProperty("fps").GetDouble();

            output.WriteLine($"  {"runner",-36} {"frames",6} {"wall s",8} {"fps",7} {"model busy",10} {"× PyTorch",9} {"PSNR vs PyTorch",16}");
            PeerTiming? peerPerFrame = null;
            var breakdowns = new List<(string Runner, double Wall, IEnumerable<(string Stage, double Busy)> Stages)>();
            if (peer is { } p)
            {
                var stages = Stages(p);
                output.WriteLine($"  {"PyTorch " + p.GetProperty("variant").GetString(),-36} {p.GetProperty("frames").GetInt64(),6} {p.GetProperty("seconds").GetDouble(),8:F2} " +
                    $"{peerFps,7:F3} {Share(stages, "model", p.GetProperty("seconds").GetDouble()),10} {"1.00",9} {"",16}");
                breakdowns.Add(("PyTorch", p.GetProperty("seconds").GetDouble(), stages));
                peerPerFrame = new PeerTiming("PyTorch", p.GetProperty("variant").GetString(), PyTorchPeer.Version, 1 / peerFps!.Value);
            }
            else
                output.WriteLine($"  PyTorch peer unavailable: {unavailable}");

            foreach (var device in devices)
            {
                string ours = Path.Combine(folder, $"gpuc-{device.Name.Replace(':', '-')}.mp4");
                var (code, stdout, stderr) = RunTool("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "gpuc.dll"),
                    "run", weights, clip, "-o", ours, "-d", device.Name, "--json"], check: false);
                if (code != 0)
                {
                    output.WriteLine($"  gpuc on {device.Name} failed ({code}): {stderr.Trim()}");
                    continue;
                }
                using var report = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
                var r = report.RootElement;
                double wall = r.GetProperty("seconds").GetDouble(), fps = r.GetProperty("fps").GetDouble();
                var stages = Stages(r);
                string ratio = peerFps is double pf ? (fps / pf).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
                string psnr = peer is not null ? Psnr(ours, peerOutput) : "";
                output.WriteLine($"  {"gpuc " + device.Name,-36} {r.GetProperty("frames").GetInt64(),6} {wall,8:F2} {fps,7:F3} {Share(stages, "process", wall),10} {ratio,9} {psnr,16}");
                breakdowns.Add(($"gpuc {device.Name}", wall, stages));
                // One timed run of the whole clip; the report's unit is its seconds per frame.
                BenchLog.Record(new("pipeline", label, device.Name, new Timing([1 / fps]), new Work(), peerPerFrame, Scope: CaseScope.EndToEnd));
            }

            output.WriteLine("  busy time per stage (s, and % of the runner's wall time; stages overlap, the busiest is the bottleneck):");
            foreach (var (runner, wall, stages) in breakdowns)
                output.WriteLine($"  {runner,-36} " + string.Join("  ", stages.Select(s => $"{s.Stage} {s.Busy:F2} ({s.Busy / wall:P0})")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<(string Stage, double Busy)> Stages(JsonElement report)
        => [.. report.GetProperty("stages").EnumerateArray().Select(s => (s.GetProperty("stage").GetString()!, s.GetProperty("busy_seconds").GetDouble()))];

    // gpuc names its model stage "process <device>"; the peer's is "model".
    private static string Share(IEnumerable<(string Stage, double Busy)> stages, string prefix, double wall)
        => (stages.Where(s => s.Stage.StartsWith(prefix, StringComparison.Ordinal)).Sum(s => s.Busy) / wall).ToString("P0", CultureInfo.InvariantCulture);

    // Both sides encode lossily, so the outputs differ by the encoder's rounding: a PSNR in the
    // forties or above says the networks agree, one in the twenties that they do not.
    private static string Psnr(string ours, string theirs)
    {
        var (_, _, log) = RunTool("ffmpeg", ["-nostdin", "-i", ours, "-i", theirs, "-lavfi", "psnr", "-f", "null", "-"], check: false);
        var match = AveragePsnr().Match(log);
        return match.Success && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double db)
            ? $"{db:F1} dB" : "n/a";
    }

    [GeneratedRegex(@"PSNR .*average:(\S+)")]
    private static partial Regex AveragePsnr();

    private static (int Code, string Output, string Error) RunTool(string tool, IEnumerable<string> arguments, bool check = true)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        return (process.ExitCode, output, error.Result);
    }
}
