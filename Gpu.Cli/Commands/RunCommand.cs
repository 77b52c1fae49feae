using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gpu.Cli.Run;
using Gpu.Core;
using Gpu.Media;
using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Media.Pipeline;
using Gpu.Media.Video;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Compression;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc run</c>: a model over an image, a folder of images or a video, through the
/// overlapped frame pipeline on one or every device; CRNN prints the text it reads.</summary>
internal static class RunCommand
{
    private sealed record Settings(string Model, string Input, string? Output, string Device, int Batch, int Scale, NormalizationMode Norm, LayerRouting Layers,
        ExistingOutputPolicy Existing, (int Index, int Count) Shard, string? Codec, int? Crf, string? PixelFormat, int Quality, long MaxPixels, bool Json);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A shipped model (see `gpuc models`) a safetensors file, or a .gpuc file from `gpuc compress`." };
        var input = new Argument<string>("input") { Description = "An image, a folder of images (recursively) or a video." };
        var output = new Option<string?>("--output", "-o") { Description = "Output file or folder (default: beside the input, named after the model)." };
        var device = new Option<string>("--device", "-d") { Description = "cpu, opencl:N, cuda:N, or all (frames spread over every device).", DefaultValueFactory = _ => "" };
        var batch = new Option<int>("--batch") { Description = "Frames per model call.", DefaultValueFactory = _ => 1 };
        var scale = new Option<int>("--scale") { Description = "VDSR's upscaling factor (1 to 8).", DefaultValueFactory = _ => 2 };
        var norm = new Option<string>("--norm") { Description = "FIP's adaptive norms: folded (stored statistics) or batch (each frame's own).", DefaultValueFactory = _ => "folded" };
        var layers = new Option<string>("--layers")
        {
            Description = "How a .gpuc model's convolutions run: measured (each layer the fastest of dense, sparse and codebook, timed once per frame size), " +
                "dense (decoded weights, the reference), or sparse, codebook or int8 wherever a layer's stored form allows.",
            DefaultValueFactory = _ => "measured",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace outputs that exist." };
        var resume = new Option<bool>("--resume") { Description = "Skip inputs whose output exists (outputs are only ever complete)." };
        var shard = new Option<string?>("--shard") { Description = "i/n: process only the i-th of n slices (0 ≤ i < n): of a folder's sorted file list, or of a video's frames cut at keyframes (join the parts with gpuc concat)." };
        var codec = new Option<string?>("--codec") { Description = "Video encoder passed to ffmpeg (e.g. libx264, libx265)." };
        var crf = new Option<int?>("--crf") { Description = "Video quality passed to ffmpeg's -crf." };
        var pixelFormat = new Option<string?>("--pix-fmt") { Description = "Video pixel format passed to ffmpeg's -pix_fmt (default: the source's YUV format, else yuv420p)." };
        var quality = new Option<int>("--quality") { Description = "JPEG / WebP quality of written images.", DefaultValueFactory = _ => 90 };
        var maxPixels = new Option<long>("--max-pixels") { Description = "Refuse images with more pixels than this (checked before decoding).", DefaultValueFactory = _ => ImageDecodeOptions.DefaultMaxPixels };
        var json = new Option<bool>("--json") { Description = "Print the summary (and CRNN's text) as JSON." };
        var command = new Command("run", "Run a model over images, folders or videos.")
        {
            model, input, output, device, batch, scale, norm, layers, overwrite, resume, shard, codec, crf, pixelFormat, quality, maxPixels, json,
        };
        command.SetAction(async (result, cancellation) =>
        {
            Settings settings;
            try
            {
                settings = new Settings(result.GetValue(model)!, result.GetValue(input)!, result.GetValue(output), result.GetValue(device)!,
                    Positive(result.GetValue(batch), "--batch"), result.GetValue(scale), ParseNorm(result.GetValue(norm)!), ParseLayers(result.GetValue(layers)!),
                    result.GetValue(overwrite) ? ExistingOutputPolicy.Overwrite : result.GetValue(resume) ? ExistingOutputPolicy.Skip : ExistingOutputPolicy.Refuse,
                    ParseShard(result.GetValue(shard)), result.GetValue(codec), result.GetValue(crf), result.GetValue(pixelFormat), result.GetValue(quality), Positive(result.GetValue(maxPixels), "--max-pixels"),
                    result.GetValue(json));
                if (result.GetValue(overwrite) && result.GetValue(resume))
                    throw new ArgumentException("--overwrite and --resume contradict each other; give one.");
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"gpuc run: {e.Message}");
                return 2;
            }
            return await RunAsync(settings, cancellation);
        });
        return command;
    }

    private static async Task<int> RunAsync(Settings settings, CancellationToken invocationCancellation)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(invocationCancellation);
        // Ctrl-C (SIGINT) and SIGTERM (a scheduler stopping the job) stop the pipeline: temporaries
        // removed, finished outputs kept, exit code 130.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cancellation.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var accelerators = new List<Accelerator>();
        var processors = new List<IDisposable>();
        try
        {
            var weights = ModelWeights.Read(ModelCatalog.Resolve(settings.Model));
            var architecture = ModelSummary.Recognize(weights);
            accelerators.AddRange(OpenDevices(settings.Device));
            if (architecture == ModelArchitecture.Crnn)
                return ReadText(settings, CrnnWeights.Load(weights), accelerators[0], cancellation.Token);
            Func<Accelerator, ModelProcessor> factory = architecture switch
            {
                ModelArchitecture.Can => LoadCan(weights, settings),
                _ => LoadVdsr(weights, settings),
            };
            foreach (var accelerator in accelerators)
                processors.Add(factory(accelerator));
            return await RunFramesAsync(settings, [.. processors.Cast<IFrameProcessor>()], architecture, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("gpuc run: stopped; finished outputs are kept, unfinished ones removed.");
            return 130;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or MediaException
            or DeviceNotFoundException or ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException or InsufficientMemoryException)
        {
            Console.Error.WriteLine($"gpuc run: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var processor in processors)
                processor.Dispose();
            foreach (var accelerator in accelerators)
                accelerator.Dispose();
        }
    }

    private static Func<Accelerator, ModelProcessor> LoadCan(ModelWeights weights, Settings settings)
    {
        var can = CanWeights.Load(weights);
        if (can.Config.InputChannels != 3 || can.Config.OutputChannels != 3)
            throw new NotSupportedException($"{weights.Source}: this network takes {can.Config.InputChannels} channels to {can.Config.OutputChannels}; `gpuc run` feeds RGB frames to RGB networks.");
        return accelerator => new CanProcessor(accelerator, can, settings.Norm, settings.Layers);
    }

    private static Func<Accelerator, ModelProcessor> LoadVdsr(ModelWeights weights, Settings settings)
    {
        if (settings.Scale is < 1 or > 8)
            throw new ArgumentException($"--scale {settings.Scale}: VDSR scales by 1 to 8.");
        var vdsr = VdsrWeights.Load(weights);
        return accelerator => new VdsrProcessor(accelerator, vdsr, settings.Scale, settings.Layers);
    }

    private static IEnumerable<Accelerator> OpenDevices(string name)
    {
        if (name.Equals("all", StringComparison.OrdinalIgnoreCase))
            return Devices.All.Select(d => d.Open()).ToList();
        return [name.Length == 0 ? Devices.Default.Open() : Devices.Open(name)];
    }

    private static async Task<int> RunFramesAsync(Settings settings, IReadOnlyList<IFrameProcessor> processors, ModelArchitecture architecture, CancellationToken cancellation)
    {
        string suffix = architecture == ModelArchitecture.Vdsr ? $"vdsr-x{settings.Scale}" : Path.GetFileNameWithoutExtension(settings.Model);
        var encode = new VideoEncodeOptions { Crf = settings.Crf, PixelFormat = settings.PixelFormat };
        if (settings.Codec is { } codec)
            encode = encode with { Codec = codec };
        var options = new MediaRunOptions
        {
            ExistingOutput = settings.Existing,
            Pipeline = new FramePipelineOptions { BatchSize = settings.Batch },
            ImageDecode = new ImageDecodeOptions { MaxPixels = settings.MaxPixels },
            ImageEncode = new ImageEncodeOptions { Quality = settings.Quality },
            VideoEncode = encode,
        };
        bool folder = Directory.Exists(settings.Input);
        var kind = folder ? MediaKind.Image : MediaFiles.KindOf(settings.Input);
        if (!folder && !File.Exists(settings.Input))
            throw new FileNotFoundException($"{settings.Input}: no such file or folder.", settings.Input);
        if (kind == MediaKind.Unknown)
            throw new MediaException($"{settings.Input}: not an image ({string.Join(" ", ImageCodec.InputExtensions.Order())}) or a video ({string.Join(" ", MediaFiles.VideoExtensions.Order())}) by its extension");

        IReadOnlyList<MediaItem> items = [];
        if (kind == MediaKind.Image)
            items = folder ? FolderItems(settings, suffix) : [new MediaItem(settings.Input, settings.Output ?? Beside(settings.Input, suffix, ".png"))];
        // A video's frame count is known where its container lists it; otherwise progress counts up without a bar.
        var video = kind == MediaKind.Video ? VideoProbe.Probe(settings.Input, cancellationToken: cancellation) : null;
        // A video's shard is the frames from one keyframe to another, found from the packets without decoding.
        var keyframes = video is not null && settings.Shard.Count > 1 ? KeyframeIndex.Read(settings.Input, cancellationToken: cancellation) : null;
        var segment = keyframes?.Shard(settings.Shard.Index, settings.Shard.Count);
        if (segment is { IsEmpty: true })
        {
            string empty = $"shard {segment.Index}/{segment.Count} holds no frames of this video: it has {keyframes!.Keyframes.Count} keyframe{(keyframes.Keyframes.Count == 1 ? "" : "s")} among {keyframes.FrameCount} frames; encode with shorter GOPs (-g) to use more shards";
            if (settings.Json)
                PrintSummary(settings, null, [], segment);
            (settings.Json ? Console.Error : Console.Out).WriteLine(empty);
            return 0;
        }
        string videoOutput = settings.Output ?? Beside(settings.Input, segment is null ? suffix : $"{suffix}.{PartName(segment)}", Path.GetExtension(settings.Input));
        options = options with { VideoSegment = segment };
        long total = video is null ? items.Count : segment?.FrameCount ?? video.FrameCount ?? 0;

        PipelineReport? report = null;
        var interactive = !settings.Json && AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected;
        async Task Execute(Action<int> framesDone)
        {
            var counted = processors.Select(p => (IFrameProcessor)new ProgressProcessor(p, framesDone)).ToList();
            report = video is not null
                ? await MediaJobs.RunVideoAsync(video, videoOutput, counted, options, cancellation)
                : await MediaJobs.RunImagesAsync(items, counted, options, cancellation);
        }
        if (interactive)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    string label = $"{Path.GetFileName(settings.Input)} on {string.Join(", ", processors.Select(p => p.Name))}";
                    var task = context.AddTask(label, maxValue: Math.Max(1, total));
                    task.IsIndeterminate = total == 0;
                    long done = 0;
                    await Execute(n =>
                    {
                        long now = Interlocked.Add(ref done, n);
                        if (total > 0)
                            task.Increment(n);
                        else
                            task.Description = $"{label}: {now} frames";
                    });
                });
        }
        else
        {
            long done = 0;
            await Execute(n =>
            {
                long now = Interlocked.Add(ref done, n);
                if (!settings.Json && (now % 100 == 0 || now == total))
                    Console.Error.WriteLine($"{now}{(total > 0 ? $"/{total}" : "")} frames");
            });
        }
        PrintSummary(settings, report, kind == MediaKind.Video ? [videoOutput] : [.. items.Select(i => i.Output)], segment);
        return 0;
    }

    /// <summary>"part03of16": zero-padded, so a shell glob lists the parts in order for gpuc concat.</summary>
    private static string PartName(VideoSegment segment)
    {
        int digits = (segment.Count - 1).ToString(CultureInfo.InvariantCulture).Length;
        return $"part{segment.Index.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0')}of{segment.Count}";
    }

    private static IReadOnlyList<MediaItem> FolderItems(Settings settings, string suffix)
    {
        string outputFolder = settings.Output ?? settings.Input.TrimEnd('/', '\\') + "-" + suffix;
        var files = MediaFiles.Shard(MediaFiles.List(settings.Input, MediaKind.Image), settings.Shard.Index, settings.Shard.Count);
        return [.. files.Select(relative => new MediaItem(Path.Combine(settings.Input, relative), MediaFiles.OutputPath(outputFolder, relative, ".png")))];
    }

    private static string Beside(string input, string suffix, string extension)
        => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, $"{Path.GetFileNameWithoutExtension(input)}.{suffix}{extension}");

    private static void PrintSummary(Settings settings, PipelineReport? report, IReadOnlyList<string> outputs, VideoSegment? segment)
    {
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                frames = report?.Frames ?? 0,
                seconds = report?.Elapsed.TotalSeconds ?? 0,
                fps = report is { Elapsed.TotalSeconds: > 0 } r ? r.Frames / r.Elapsed.TotalSeconds : 0,
                stages = report?.Stages.Select(s => new { stage = s.Stage, busy_seconds = s.Busy.TotalSeconds, calls = s.Calls }) ?? [],
                outputs,
                shard = segment is null ? null : new { index = segment.Index, count = segment.Count, first_frame = segment.FirstFrame, frame_count = segment.FrameCount },
            }));
            return;
        }
        if (report is null)
        {
            Console.WriteLine("nothing to do: every output exists (--resume)");
            return;
        }
        double fps = report.Elapsed.TotalSeconds > 0 ? report.Frames / report.Elapsed.TotalSeconds : 0;
        Console.WriteLine($"{report.Frames} frames in {report.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s ({fps.ToString("F2", CultureInfo.InvariantCulture)} frames/s); busy time per stage (the bottleneck is the busiest):");
        foreach (var stage in report.Stages)
            Console.WriteLine($"  {stage.Stage,-24} {stage.Busy.TotalSeconds,8:F2} s  {(report.Elapsed > TimeSpan.Zero ? stage.Busy / report.Elapsed : 0),5:P0}");
        if (segment is not null)
            Console.WriteLine($"{segment} of the video; join the parts with gpuc concat");
        Console.WriteLine(outputs.Count == 1 ? $"wrote {outputs[0]}" : $"wrote {outputs.Count} files under {Path.GetDirectoryName(outputs[0])}");
    }

    private static int ReadText(Settings settings, CrnnWeights weights, Accelerator accelerator, CancellationToken cancellation)
    {
        bool folder = Directory.Exists(settings.Input);
        IReadOnlyList<string> files = folder
            ? [.. MediaFiles.Shard(MediaFiles.List(settings.Input, MediaKind.Image), settings.Shard.Index, settings.Shard.Count).Select(f => Path.Combine(settings.Input, f))]
            : File.Exists(settings.Input) ? [settings.Input] : throw new FileNotFoundException($"{settings.Input}: no such file or folder.", settings.Input);
        using var network = new CrnnNetwork(accelerator, weights, settings.Layers);
        var pool = new FrameBatchPool();
        var results = new List<(string File, string Text)>();
        foreach (var group in files.Chunk(settings.Batch))
        {
            cancellation.ThrowIfCancellationRequested();
            var lines = group.Select(path =>
            {
                using var frame = ImageCodec.Read(path, pool, new ImageDecodeOptions { MaxPixels = settings.MaxPixels });
                var size = frame.Format.Size;
                return (Width: weights.Input.LineWidth(size.Width, size.Height), Values: weights.Input.FromRgb(frame.Frame(0), size.Width, size.Height));
            }).ToList();
            // Lines of one width run as one batch; others one by one.
            foreach (var sameWidth in lines.Select((line, i) => (line, i)).GroupBy(x => x.line.Width))
            {
                float[] stacked = [.. sameWidth.SelectMany(x => x.line.Values)];
                using var images = accelerator.Allocate<float>(stacked);
                string[] texts = network.Recognize(images.View, sameWidth.Count(), sameWidth.Key);
                foreach (var ((_, i), text) in sameWidth.Zip(texts))
                    results.Add((group[i], text));
            }
        }
        results.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(results.Select(r => new { file = r.File, text = r.Text })));
        else
            foreach (var (file, text) in results)
                Console.WriteLine($"{file}\t{text}");
        return 0;
    }

    private static NormalizationMode ParseNorm(string text) => text.ToLowerInvariant() switch
    {
        "folded" => NormalizationMode.Folded,
        "batch" => NormalizationMode.BatchStatistics,
        _ => throw new ArgumentException($"--norm '{text}': folded or batch."),
    };

    private static LayerRouting ParseLayers(string text) => text.ToLowerInvariant() switch
    {
        "measured" => LayerRouting.Measured,
        "dense" => LayerRouting.Dense,
        "sparse" => LayerRouting.Sparse,
        "codebook" => LayerRouting.Codebook,
        "int8" => LayerRouting.Int8,
        _ => throw new ArgumentException($"--layers '{text}': measured, dense, sparse, codebook or int8."),
    };

    private static (int, int) ParseShard(string? text)
    {
        if (text is null)
            return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0 && index < count)
            return (index, count);
        throw new ArgumentException($"--shard '{text}': give i/n with 0 ≤ i < n, e.g. 0/4.");
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T>
        => value > T.Zero ? value : throw new ArgumentException($"{name} {value}: must be positive.");
}
