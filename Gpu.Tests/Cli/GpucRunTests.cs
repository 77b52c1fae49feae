using System.Diagnostics;
using Gpu.Core;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Media.Video;
using Gpu.Models;
using Gpu.Models.Fip;
using Gpu.Tests.Models;

namespace Gpu.Tests.Cli;

/// <summary><c>gpuc run</c> as a user runs it: the built command line in its own process, on
/// images, folders and a video made here with ffmpeg, its outputs compared with the model run
/// directly on the decoded frames.</summary>
[NonParallelizable]
public sealed partial class GpucRunTests
{
    private static readonly string Weights = Path.Combine(ModelFixture.Directory, "can24.safetensors");
    private string directory = "";

    [SetUp]
    public void CreateDirectory()
    {
        if (!FfmpegTools.IsAvailable)
            Assert.Ignore("ffmpeg and ffprobe are not on PATH (Debian package ffmpeg); these tests make and read videos");
        directory = Directory.CreateTempSubdirectory("gpuc-run").FullName;
    }

    [TearDown]
    public void DeleteDirectory()
    {
        if (directory.Length > 0)
            Directory.Delete(directory, recursive: true);
    }

    /// <summary>Starts gpuc with its output redirected (so it prints plain lines, no progress bar).</summary>
    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "gpuc.dll"), .. arguments])
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException("gpuc did not start");
    }

    private static (int ExitCode, string Output, string Error) Gpuc(params string[] arguments)
    {
        using var process = Start(arguments);
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gpuc {string.Join(' ', arguments)} ran past three minutes");
        }
        TestContext.Out.WriteLine($"gpuc {string.Join(' ', arguments)} → {process.ExitCode}\n{output}{error.Result}");
        return (process.ExitCode, output, error.Result);
    }

    private static void Ffmpeg(params string[] arguments) => Media.TestVideos.Ffmpeg(FfmpegTools.Find(), arguments);

    /// <summary>testsrc2 at 25 frames/s with a tone, through libx264 with <paramref name="encoder"/>'s further flags.</summary>
    private string MakeVideo(string name, double seconds, int width = 96, int height = 64, params string[] encoder)
    {
        string path = Path.Combine(directory, name);
        Ffmpeg(["-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=25", "-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}",
            "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c:v", "libx264", "-preset", "ultrafast", .. encoder, "-pix_fmt", "yuv420p", "-c:a", "aac", path]);
        return path;
    }

    private string MakeImages(string folder, int count)
    {
        string root = Path.Combine(directory, folder);
        var pool = new FrameBatchPool();
        for (int i = 0; i < count; i++)
        {
            using var batch = pool.Rent(new FrameFormat(new FrameSize(40 + i, 24 + 2 * i), SampleDepth.Bits8), 1);
            var random = new Random(i);
            var pixels = batch.Pixels;
            for (int k = 0; k < pixels.Length; k++)
                pixels[k] = random.Next(256) / 255f;
            string path = Path.Combine(root, i % 2 == 0 ? "" : "sub", $"image{i}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            ImageCodec.Write(batch, 0, path);
        }
        return root;
    }

    /// <summary>Every frame of a video as 8-bit RGB, decoded by ffmpeg.</summary>
    private static List<float[]> DecodeFrames(string path) => Media.TestVideos.Frames(new FfmpegVideoSource(VideoProbe.Probe(path)));

    /// <summary>The model run directly on one decoded frame, rounded to 8 bits as an encoder stores it.</summary>
    private static float[] Expected(ContextAggregationNetwork network, Accelerator accelerator, float[] frame, int width, int height)
    {
        var shape = new ImageShape(1, 3, height, width);
        using var input = accelerator.Allocate<float>(frame);
        using var output = accelerator.Allocate<float>(frame.Length);
        network.Forward(input.View, output.View, shape, TensorLayout.RowMajor);
        return [.. output.ToArray().Select(v => MathF.Round(Math.Clamp(v, 0f, 1f) * 255f) / 255f)];
    }

    [Test]
    public void AVideoKeepsFramesSizeRateAndAudioAndEachFrameIsTheModelsOutput()
    {
        string source = MakeVideo("clip.mp4", seconds: 1);
        string output = Path.Combine(directory, "clip.out.mkv");
        var (code, stdout, _) = Gpuc("run", Weights, source, "-o", output, "-d", "cpu", "--codec", "ffv1", "--pix-fmt", "bgr0");
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("25 frames"));
        var (before, after) = (VideoProbe.Probe(source), VideoProbe.Probe(output));
        Assert.That(after.Size, Is.EqualTo(before.Size));
        Assert.That(after.FrameRate, Is.EqualTo(before.FrameRate));
        Assert.That(before.HasAudio && after.HasAudio, "audio copied");
        Assert.That(after.PixelAspect, Is.EqualTo(before.PixelAspect));
        var inputFrames = DecodeFrames(source);
        var outputFrames = DecodeFrames(output);
        Assert.That(outputFrames, Has.Count.EqualTo(inputFrames.Count).And.Count.EqualTo(25), "frames out = frames in");
        using var accelerator = Devices.Open("cpu");
        using var network = new ContextAggregationNetwork(accelerator, CanWeights.Load(ModelWeights.Read(Weights)));
        for (int i = 0; i < inputFrames.Count; i++)
        {
            float[] expected = Expected(network, accelerator, inputFrames[i], before.Size.Width, before.Size.Height);
            Assert.That(outputFrames[i], Is.EqualTo(expected).Within(1e-6f), $"frame {i}: the lossless output must hold exactly the model's 8-bit result");
        }
    }

    [Test]
    public void BatchesShardsAndEveryDeviceGiveTheSameImages()
    {
        string images = MakeImages("images", count: 5);
        Assert.That(Gpuc("run", Weights, images, "-o", Path.Combine(directory, "one"), "-d", "cpu").ExitCode, Is.Zero);
        Assert.That(Gpuc("run", Weights, images, "-o", Path.Combine(directory, "batched"), "-d", "cpu", "--batch", "3").ExitCode, Is.Zero);
        for (int shard = 0; shard < 3; shard++)
            Assert.That(Gpuc("run", Weights, images, "-o", Path.Combine(directory, "sharded"), "-d", "cpu", "--shard", $"{shard}/3").ExitCode, Is.Zero);
        Assert.That(Gpuc("run", Weights, images, "-o", Path.Combine(directory, "all"), "-d", "all").ExitCode, Is.Zero);

        var reference = Files("one");
        Assert.That(reference.Keys, Has.Count.EqualTo(5));
        Assert.That(Files("batched"), Is.EqualTo(reference), "batches of 3 give the same bytes");
        Assert.That(Files("sharded"), Is.EqualTo(reference), "three shards together give the same files and bytes");
        // Other devices round differently in the last bits, so an 8-bit value may land one level over.
        var pool = new FrameBatchPool();
        var all = Files("all");
        Assert.That(all.Keys, Is.EqualTo(reference.Keys));
        foreach (string name in reference.Keys)
        {
            using var a = ImageCodec.Read(Path.Combine(directory, "one", name), pool);
            using var b = ImageCodec.Read(Path.Combine(directory, "all", name), pool);
            float worst = a.Pixels.ToArray().Zip(b.Pixels.ToArray(), (x, y) => Math.Abs(x - y)).Max();
            Assert.That(worst, Is.LessThanOrEqualTo(1f / 255 + 1e-6f), $"{name} from --device all");
        }
    }

    [Test]
    public void AVideosShardsJoinedByConcatGiveTheUnshardedOutput()
    {
        // B-frames, and a keyframe every 10 frames so that three shards have somewhere to start.
        string source = MakeVideo("clip.mp4", seconds: 2, encoder: ["-bf", "3", "-g", "10"]);
        string[] lossless = ["-d", "cpu", "--codec", "ffv1", "--pix-fmt", "bgr0"];
        string whole = Path.Combine(directory, "whole.mkv");
        Assert.That(Gpuc(["run", Weights, source, "-o", whole, .. lossless]).ExitCode, Is.Zero);

        // One name with a space and a quote, which the concat list must escape.
        string[] parts = [.. Enumerable.Range(0, 3).Select(i => Path.Combine(directory, i == 1 ? "part 1 'b'.mkv" : $"part{i}.mkv"))];
        var ranges = new List<(long First, long Count)>();
        for (int i = 0; i < 3; i++)
        {
            var (code, stdout, _) = Gpuc(["run", Weights, source, "-o", parts[i], "--shard", $"{i}/3", "--json", .. lossless]);
            Assert.That(code, Is.Zero);
            var shard = System.Text.Json.JsonDocument.Parse(stdout).RootElement.GetProperty("shard");
            ranges.Add((shard.GetProperty("first_frame").GetInt64(), shard.GetProperty("frame_count").GetInt64()));
            Assert.That(VideoProbe.Probe(parts[i]).HasAudio, Is.False, "a part is video alone");
        }
        Assert.That(ranges, Is.EqualTo(new[] { (0L, 20L), (20L, 10L), (30L, 20L) }), "cut at the keyframes 20 and 30");

        string joined = Path.Combine(directory, "joined.mkv");
        var missing = Gpuc("concat", parts[0], parts[2], "-o", joined, "--audio-from", source);
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.Error, Does.Contain($"the 2 parts hold 40 frames but {source}, which they were cut from, has 50"));
        string[] ConcatLists() => Directory.GetFiles(Path.GetTempPath(), "gpuc-concat-*");
        var listsBefore = ConcatLists();
        var concat = Gpuc(["concat", .. parts, "-o", joined, "--audio-from", source]);
        Assert.That(concat.ExitCode, Is.Zero);
        Assert.That(concat.Output, Does.Contain("joined 3 parts, 50 frames"));

        var (reference, result) = (VideoProbe.Probe(whole), VideoProbe.Probe(joined));
        Assert.That(result.FrameRate, Is.EqualTo(reference.FrameRate));
        Assert.That((result.Codec, result.Size), Is.EqualTo((reference.Codec, reference.Size)), "the parts' stream, copied");
        Assert.That(result.HasAudio, "audio from the source");
        var expected = DecodeFrames(whole);
        var frames = DecodeFrames(joined);
        Assert.That(frames, Has.Count.EqualTo(expected.Count).And.Count.EqualTo(50));
        for (int i = 0; i < frames.Count; i++)
            Assert.That(frames[i], Is.EqualTo(expected[i]), $"frame {i}: the joined shards hold the unsharded run's pixels");
        Assert.That(AllFiles("*partial*"), Is.Empty, "no temporary output left");
        Assert.That(ConcatLists(), Is.EquivalentTo(listsBefore), "the concat list is removed");
    }

    [Test]
    public void AShardThatNoKeyframeStartsWritesNothingAndSaysWhy()
    {
        // ultrafast's keyframe interval exceeds one second: frame 0 is the only keyframe.
        string source = MakeVideo("clip.mp4", seconds: 1);
        string output = Path.Combine(directory, "out.mp4");

        var (code, stdout, _) = Gpuc("run", Weights, source, "-o", output, "-d", "cpu", "--shard", "1/2");

        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("shard 1/2 holds no frames of this video: it has 1 keyframe among 25 frames; encode with shorter GOPs (-g)"));
        Assert.That(AllFiles("out*").Concat(AllFiles("*partial*")), Is.Empty);
    }

    [Test]
    public void ConcatRefusesPartsOfDifferentSizesAndAnExistingOutput()
    {
        string small = MakeVideo("small.mp4", seconds: 0.2);
        string large = MakeVideo("large.mp4", seconds: 0.2, width: 128, height: 96);
        string output = Path.Combine(directory, "joined.mp4");

        var (code, _, error) = Gpuc("concat", small, large, "-o", output);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain($"{large}: 128x96 h264 yuv420p at 25/1 frames/s, but {small} is 96x64"));
        Assert.That(AllFiles("joined*").Concat(AllFiles("*partial*")), Is.Empty);

        File.WriteAllText(output, "kept");
        var exists = Gpuc("concat", small, small, "-o", output);
        Assert.That(exists.ExitCode, Is.EqualTo(1));
        Assert.That(exists.Error, Does.Contain("exists; replace it with --overwrite"));
        Assert.That(File.ReadAllText(output), Is.EqualTo("kept"));
    }

    private Dictionary<string, string> Files(string folder)
    {
        string root = Path.Combine(directory, folder);
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
    }

    [TestCase("INT")]
    [TestCase("TERM")]
    public void AnInterruptStopsTheRunAndLeavesNoTemporaryFile(string signal)
    {
        string source = MakeVideo("long.mp4", seconds: 10, width: 320, height: 240);
        string output = Path.Combine(directory, "long.out.mp4");
        using var process = Start("run", Weights, source, "-o", output, "-d", "cpu");
        var error = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!AllFiles("*gpuc-partial*").Any() && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(1))
            Thread.Sleep(50);
        // The message reads standard error, which waits for the process: only when it has ended.
        if (process.HasExited)
            Assert.Fail($"the run ended before it could be interrupted: {error.Result}");
        if (signal == "INT" && SignalIgnored(process.Id, Signals.Interrupt))
        {
            process.Kill(entireProcessTree: true);
            Assert.Ignore("gpuc started with SIGINT ignored: this test run was started in the background by a non-interactive shell, and " +
                "ignored signals pass to children, as Unix wants for background jobs; the SIGTERM case runs the same stopping path");
        }
        Assert.That(Signals.Send(process.Id, signal == "INT" ? Signals.Interrupt : Signals.Terminate), Is.Zero, "kill(2)");
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), "gpuc stops after SIGINT");
        TestContext.Out.WriteLine(stdout.Result + error.Result);
        Assert.That(process.ExitCode, Is.EqualTo(130));
        Assert.That(AllFiles("*").Select(Path.GetFileName), Is.EquivalentTo(new[] { "long.mp4" }), "no output and no temporary left");
        Assert.That(error.Result, Does.Contain("stopped"));
    }

    /// <summary>Files of the test folder, hidden ones (temporaries start with a dot) included.</summary>
    private IEnumerable<string> AllFiles(string pattern)
        => Directory.EnumerateFiles(directory, pattern, new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true });

    /// <summary>Whether a process ignores a signal (the SigIgn mask of its /proc status).</summary>
    private static bool SignalIgnored(int processId, int signal)
    {
        string? line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
    }

    /// <summary>libc's kill(2): .NET has no call that sends a chosen signal.</summary>
    private static partial class Signals
    {
        public const int Interrupt = 2, Terminate = 15;

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Send(int processId, int signal);
    }

    [Test]
    public void CorruptInputsGiveClearErrorsAndNoOutput()
    {
        string png = Path.Combine(MakeImages("bad", count: 1), "image0.png");
        byte[] bytes = File.ReadAllBytes(png);
        File.WriteAllBytes(png, bytes[..(bytes.Length / 2)]);
        var truncated = Gpuc("run", Weights, png, "-o", Path.Combine(directory, "out.png"), "-d", "cpu");
        Assert.That(truncated.ExitCode, Is.EqualTo(1));
        Assert.That(truncated.Error, Does.Contain("image0.png"));

        string text = Path.Combine(directory, "notes.mp4");
        File.WriteAllText(text, "not a video");
        var notVideo = Gpuc("run", Weights, text, "-o", Path.Combine(directory, "out.mp4"), "-d", "cpu");
        Assert.That(notVideo.ExitCode, Is.EqualTo(1));
        Assert.That(notVideo.Error, Does.Contain("notes.mp4"));

        var unknownModel = Gpuc("run", "no-such-model", png, "-d", "cpu");
        Assert.That(unknownModel.ExitCode, Is.EqualTo(1));
        Assert.That(unknownModel.Error, Does.Contain("no-such-model"));
        var unknownDevice = Gpuc("run", Weights, png, "-d", "opencl:9");
        Assert.That(unknownDevice.ExitCode, Is.EqualTo(1));
        Assert.That(AllFiles("out*").Concat(AllFiles("*partial*")), Is.Empty);
    }

    [Test]
    public void ACompressedModelRunsAndDescribesItself()
    {
        string compressed = Path.Combine(directory, "fip.gpuc"), model = Path.Combine(AppContext.BaseDirectory, "Shipped", "fip-detail.safetensors");
        var (code, output, _) = Gpuc("compress", model, "-o", compressed, "--prune", "magnitude", "--sparsity", "0.6", "--bits", "6",
            "--calibration", MakeImages("calibration", 1), "--json");
        Assert.That(code, Is.EqualTo(0));
        using (var report = System.Text.Json.JsonDocument.Parse(output))
        {
            Assert.That(report.RootElement.GetProperty("ratio").GetDouble(), Is.GreaterThan(4));
            Assert.That(report.RootElement.GetProperty("tensors").EnumerateArray().Count(t => t.GetProperty("codec").GetString() == "SparseShared"), Is.EqualTo(8));
        }
        Assert.That(Gpuc("compress", model, "-o", compressed).ExitCode, Is.EqualTo(1), "an existing output is kept");

        string input = MakeImages("in", 1), result = Path.Combine(directory, "out.png");
        Assert.That(Gpuc("run", compressed, Directory.GetFiles(input)[0], "-o", result).ExitCode, Is.EqualTo(0));
        Assert.That(File.Exists(result));

        // Through the sparse route the layers give the decoded model's picture, to the 8-bit rounding.
        string sparse = Path.Combine(directory, "sparse.png"), dense = Path.Combine(directory, "dense.png");
        Assert.That(Gpuc("run", compressed, Directory.GetFiles(input)[0], "-o", sparse, "--layers", "sparse", "-d", "cpu").ExitCode, Is.EqualTo(0));
        Assert.That(Gpuc("run", compressed, Directory.GetFiles(input)[0], "-o", dense, "--layers", "dense", "-d", "cpu").ExitCode, Is.EqualTo(0));
        var pool = new FrameBatchPool();
        using (var sparsePixels = ImageCodec.Read(sparse, pool))
        using (var densePixels = ImageCodec.Read(dense, pool))
        {
            var a = sparsePixels.Pixels;
            var b = densePixels.Pixels;
            Assert.That(a.Length, Is.EqualTo(b.Length));
            float worst = 0;
            for (int i = 0; i < a.Length; i++)
                worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
            Assert.That(worst, Is.LessThanOrEqualTo(1f / 255 + 1e-6f), "sparse against dense route");
        }
        var unknownRoute = Gpuc("run", compressed, Directory.GetFiles(input)[0], "-o", Path.Combine(directory, "fast.png"), "--layers", "fast");
        Assert.That(unknownRoute.ExitCode, Is.EqualTo(2));
        Assert.That(unknownRoute.Error, Does.Contain("--layers 'fast'"));
        var info = Gpuc("info", compressed, "--size", "64x48");
        Assert.That(info.ExitCode, Is.EqualTo(0));
        Assert.That(info.Output, Does.Contain("SparseShared").And.Contain("stored compressed"));

        File.WriteAllBytes(Path.Combine(directory, "bad.gpuc"), [.. File.ReadAllBytes(compressed).Take(100)]);
        var refused = Gpuc("run", Path.Combine(directory, "bad.gpuc"), Directory.GetFiles(input)[0], "-o", Path.Combine(directory, "bad.png"));
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.Error, Does.Contain("bad.gpuc"));
        Assert.That(File.Exists(Path.Combine(directory, "bad.png")), Is.False);
    }

    [Test]
    public void CompressOffersInt8StructuredPruningBudgetsAndCrnnCalibration()
    {
        string model = Path.Combine(AppContext.BaseDirectory, "Shipped", "fip-detail.safetensors"), calibration = MakeImages("calibration", 1);
        string structured = Path.Combine(directory, "structured.gpuc");
        var (code, output, error) = Gpuc("compress", model, "-o", structured, "--prune", "magnitude", "--sparsity", "0.25", "--structured", "--int8",
            "--calibration", calibration, "--json");
        Assert.That(code, Is.EqualTo(0), error);
        using (var report = System.Text.Json.JsonDocument.Parse(output))
        {
            var tensors = report.RootElement.GetProperty("tensors").EnumerateArray().ToList();
            // 6 of each 3×3 layer's 24 channels leave it, and the next layer's matching inputs leave that one.
            var narrowed = tensors.Where(t => t.GetProperty("tensor").GetString()!.EndsWith(".conv.weight", StringComparison.Ordinal)).ToList();
            Assert.That(narrowed.Select(t => t.GetProperty("shape").GetString()),
                Is.EqualTo(new[] { "18×3×3×3 of 24×3×3×3" }.Concat(Enumerable.Repeat("18×18×3×3 of 24×24×3×3", 7))));
            Assert.That(narrowed.Select(t => t.GetProperty("codec").GetString()), Is.All.EqualTo("Int8"));
            Assert.That(tensors.Single(t => t.GetProperty("tensor").GetString() == "output.weight").GetProperty("shape").GetString(), Is.EqualTo("3×18×1×1 of 3×24×1×1"));
        }
        string input = MakeImages("in", 1), result = Path.Combine(directory, "structured.png");
        Assert.That(Gpuc("run", structured, Directory.GetFiles(input)[0], "-o", result).ExitCode, Is.EqualTo(0));
        Assert.That(Gpuc("info", structured, "--size", "64x48").Output, Does.Contain("3×3 d2 18→18").And.Contain("1×1 18→3"));

        var int8Pruned = Gpuc("compress", model, "-o", Path.Combine(directory, "refused.gpuc"), "--prune", "magnitude", "--int8");
        Assert.That(int8Pruned.ExitCode, Is.EqualTo(2));
        Assert.That(int8Pruned.Error, Does.Contain("--int8"));
        var wrongUnit = Gpuc("compress", model, "-o", Path.Combine(directory, "refused.gpuc"), "--budget", "1%", "--calibration", calibration);
        Assert.That(wrongUnit.ExitCode, Is.EqualTo(2));
        Assert.That(wrongUnit.Error, Does.Contain("dB"));
        Assert.That(Gpuc("compress", model, "-o", Path.Combine(directory, "refused.gpuc"), "--budget", "half").ExitCode, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(directory, "refused.gpuc")), Is.False);

        // Global magnitude pruning: one threshold over every layer drops 60 % of all their weights, unevenly across layers.
        var global = Gpuc("compress", model, "-o", Path.Combine(directory, "global.gpuc"), "--prune", "global", "--sparsity", "0.6", "--bits", "8", "--json");
        Assert.That(global.ExitCode, Is.EqualTo(0), global.Error);
        using (var report = System.Text.Json.JsonDocument.Parse(global.Output))
        {
            var layers = report.RootElement.GetProperty("tensors").EnumerateArray().Where(t => t.GetProperty("codec").GetString() == "SparseShared")
                .Select(t => (Zeros: t.GetProperty("zeros").GetDouble(), Count: t.GetProperty("shape").GetString()!.Split('×').Aggregate(1L, (p, d) => p * long.Parse(d)))).ToList();
            Assert.That(layers, Has.Count.EqualTo(8));
            Assert.That(layers.Sum(l => l.Zeros * l.Count) / layers.Sum(l => l.Count), Is.EqualTo(0.6).Within(0.005));
            Assert.That(layers.Max(l => l.Zeros) - layers.Min(l => l.Zeros), Is.GreaterThan(0.05), "a global threshold prunes layers unevenly");
        }
        Assert.That(Gpuc("compress", model, "-o", Path.Combine(directory, "refused.gpuc"), "--prune", "global", "--structured").ExitCode, Is.EqualTo(2));

        // VDSR's dB budget is a loss of its task PSNR, measured on the held-out photographs; the network's gain over bicubic must survive.
        var vdsr = Gpuc("compress", Path.Combine(AppContext.BaseDirectory, "Shipped", "vdsr-x2.safetensors"), "-o", Path.Combine(directory, "vdsr.gpuc"),
            "--budget", "0.5dB", "--bits", "5", "--calibration", Path.Combine(AppContext.BaseDirectory, "Shipped", "images"), "--json");
        Assert.That(vdsr.ExitCode, Is.EqualTo(0), vdsr.Error);
        using (var report = System.Text.Json.JsonDocument.Parse(vdsr.Output))
        {
            double original = report.RootElement.GetProperty("original_task_psnr").GetDouble(), reached = report.RootElement.GetProperty("task_psnr").GetDouble();
            double bicubic = report.RootElement.GetProperty("quality_with_weights_zero").GetDouble();
            Assert.That(reached, Is.GreaterThanOrEqualTo(original - 0.5));
            Assert.That(bicubic, Is.LessThan(original - 0.5), "bicubic alone must miss the floor, or the budget prunes the network away");
            Assert.That(report.RootElement.GetProperty("ratio").GetDouble(), Is.GreaterThan(4));
        }

        // CRNN is measured by reading the shipped lines; 8-bit sharing, nothing pruned, against the original's readings.
        var crnn = Gpuc("compress", Path.Combine(AppContext.BaseDirectory, "Shipped", "crnn.safetensors"), "-o", Path.Combine(directory, "crnn.gpuc"),
            "--prune", "none", "--bits", "8", "--calibration", Path.Combine(AppContext.BaseDirectory, "Shipped", "text"), "--json");
        Assert.That(crnn.ExitCode, Is.EqualTo(0), crnn.Error);
        using var crnnReport = System.Text.Json.JsonDocument.Parse(crnn.Output);
        Assert.That(crnnReport.RootElement.GetProperty("original_cer").GetDouble(), Is.InRange(0.05, 0.6));
        Assert.That(crnnReport.RootElement.GetProperty("cer").GetDouble(), Is.InRange(0, 1));
        Assert.That(crnnReport.RootElement.GetProperty("ratio").GetDouble(), Is.GreaterThan(3.5));
    }

    [Test]
    public void ACompressedCrnnReadsTheSameTextOnEveryRoute()
    {
        string text = Path.Combine(AppContext.BaseDirectory, "Shipped", "text"), compressed = Path.Combine(directory, "crnn.gpuc");
        var compress = Gpuc("compress", Path.Combine(AppContext.BaseDirectory, "Shipped", "crnn.safetensors"), "-o", compressed,
            "--prune", "magnitude", "--sparsity", "0.3", "--bits", "5", "--calibration", text);
        Assert.That(compress.ExitCode, Is.EqualTo(0), compress.Error);
        string Read(string layers)
        {
            var run = Gpuc("run", compressed, text, "--layers", layers, "-d", "cpu", "--json");
            Assert.That(run.ExitCode, Is.EqualTo(0), $"--layers {layers}: {run.Error}");
            return run.Output;
        }
        // Sparse and codebook hold the decoded weights exactly: the readings of the decoded model, line for line.
        string dense = Read("dense");
        using (var readings = System.Text.Json.JsonDocument.Parse(dense))
            Assert.That(readings.RootElement.EnumerateArray().Count(r => r.GetProperty("text").GetString()!.Length > 0), Is.EqualTo(8), "every shipped line is read as something");
        foreach (string layers in new[] { "measured", "sparse", "codebook" })
            Assert.That(Read(layers), Is.EqualTo(dense), $"--layers {layers}");
    }
}
