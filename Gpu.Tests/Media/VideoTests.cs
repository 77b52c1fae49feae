using System.Diagnostics;
using Gpu.Media;
using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;
using Gpu.Media.Video;

namespace Gpu.Tests.Media;

/// <summary>
/// Videos made at test time by ffmpeg's own generators (2 s of testsrc2 at 320 × 240, 25 fps, pixel
/// aspect 4:3, a 440 Hz tone, one subtitle), run end to end through the pipeline.
/// </summary>
[NonParallelizable]
public sealed class VideoTests
{
    private string directory = "";
    private string source = "";
    private string output = "";
    private FfmpegTools tools = null!;

    private static readonly VideoEncodeOptions Fast = new() { Preset = "ultrafast" };

    [OneTimeSetUp]
    public void MakeSourceVideo()
    {
        if (!FfmpegTools.IsAvailable)
            Assert.Ignore("ffmpeg and ffprobe are not on PATH (Debian package ffmpeg); the video tests need them");
        tools = FfmpegTools.Find();
        directory = Directory.CreateTempSubdirectory("gpuc-video").FullName;
        File.WriteAllText(Path.Combine(directory, "subs.srt"), "1\n00:00:00,000 --> 00:00:01,500\nhello\n");
        source = Path.Combine(directory, "source.mp4");
        Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-i", Path.Combine(directory, "subs.srt"), "-t", "2", "-map", "0", "-map", "1", "-map", "2", "-vf", "setsar=4/3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "mov_text", source);
    }

    [OneTimeTearDown]
    public void DeleteDirectory()
    {
        if (directory.Length > 0)
            Directory.Delete(directory, recursive: true);
    }

    [SetUp]
    public void CreateOutputFolder() => output = Directory.CreateTempSubdirectory("gpuc-video-out").FullName;

    [TearDown]
    public void DeleteOutputFolder() => Directory.Delete(output, recursive: true);

    private void Ffmpeg(params string[] arguments) => TestVideos.Ffmpeg(tools, arguments);

    private string Out(string name) => Path.Combine(output, name);

    private MediaRunOptions Options(int batchSize = 1) => new()
    {
        VideoEncode = Fast,
        Tools = tools,
        Pipeline = new FramePipelineOptions { BatchSize = batchSize },
    };

    [Test]
    public void ProbeReadsTheStreamsOfTheSource()
    {
        var info = VideoProbe.Probe(source, tools);

        Assert.That(info.Size, Is.EqualTo(new FrameSize(320, 240)));
        Assert.That(info.FrameRate, Is.EqualTo(new Rational(25, 1)));
        Assert.That(info.FrameCount, Is.EqualTo(50));
        Assert.That(info.PixelAspect, Is.EqualTo(new Rational(4, 3)));
        Assert.That(info.BitsPerSample, Is.EqualTo(8));
        Assert.That(info.Depth, Is.EqualTo(SampleDepth.Bits8));
        Assert.That(info.PixelFormat, Is.EqualTo("yuv420p"));
        Assert.That(info.Codec, Is.EqualTo("h264"));
        Assert.That(info.HasAudio && info.HasSubtitles, Is.True);
        Assert.That(info.Duration!.Value.TotalSeconds, Is.EqualTo(2).Within(0.1));
    }

    [Test]
    public async Task AnIdentityRunKeepsFramesSizeRateAspectAudioAndSubtitles()
    {
        var report = await MediaJobs.RunVideoAsync(source, Out("same.mp4"), [TestProcessors.Identity()], Options());

        Assert.That(report!.Frames, Is.EqualTo(50));
        var written = VideoProbe.Probe(Out("same.mp4"), tools);
        Assert.That(written.FrameCount, Is.EqualTo(50));
        Assert.That(written.Size, Is.EqualTo(new FrameSize(320, 240)));
        Assert.That(written.FrameRate, Is.EqualTo(new Rational(25, 1)));
        Assert.That(written.PixelAspect, Is.EqualTo(new Rational(4, 3)));
        Assert.That(written.PixelFormat, Is.EqualTo("yuv420p"));
        Assert.That(written.HasAudio, Is.True, "audio copied");
        Assert.That(written.HasSubtitles, Is.True, "subtitles copied");
        Assert.That(Directory.GetFiles(output).Select(Path.GetFileName), Is.EqualTo(new[] { "same.mp4" }));

        // The pixels survive RGB → YUV 4:2:0 → RGB and a second encode: within 4 levels of 255 on average.
        Assert.That(MeanDifference(ReadFrame(source, 17), ReadFrame(Out("same.mp4"), 17)), Is.LessThan(4 / 255f));
    }

    [Test]
    public async Task AProcessorThatDoublesTheSizeOnTwoWorkersGivesTheDoubledVideo()
    {
        var report = await MediaJobs.RunVideoAsync(source, Out("double.mkv"),
            [TestProcessors.Double("dev0"), TestProcessors.Double("dev1")], Options(batchSize: 4));

        Assert.That(report!.Frames, Is.EqualTo(50));
        Assert.That(report.Stages.Select(s => s.Stage), Is.SupersetOf(new[] { "decode", "convert", "process dev0", "process dev1", "encode" }));
        var written = VideoProbe.Probe(Out("double.mkv"), tools);
        Assert.That(written.Size, Is.EqualTo(new FrameSize(640, 480)));
        Assert.That(written.FrameRate, Is.EqualTo(new Rational(25, 1)));
        Assert.That(written.PixelAspect, Is.EqualTo(new Rational(4, 3)));
        Assert.That(written.HasAudio, Is.True);
        Assert.That(written.SubtitleCodecs, Is.EqualTo(new[] { "subrip" }), "MP4's mov_text subtitles become SubRip in Matroska");
        Assert.That(CountFrames(Out("double.mkv")), Is.EqualTo(50), "Matroska lists no count: every frame decoded");
    }

    [Test]
    public async Task TenBitSourcesAreReadAsSixteenBitsAndKeepTheirPixelFormat()
    {
        string deep = Path.Combine(directory, "deep.mp4");
        Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "0.5", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p10le", deep);
        var info = VideoProbe.Probe(deep, tools);
        Assert.That(info.Depth, Is.EqualTo(SampleDepth.Bits16));

        var depths = new List<SampleDepth>();
        var recording = new DelegateFrameProcessor("record", (input, _, _) =>
        {
            depths.Add(input.Format.Depth);
            return input;
        });
        await MediaJobs.RunVideoAsync(deep, Out("deep.mp4"), [recording], Options());

        Assert.That(depths, Has.Count.EqualTo(5).And.All.EqualTo(SampleDepth.Bits16));
        var written = VideoProbe.Probe(Out("deep.mp4"), tools);
        Assert.That((written.PixelFormat, written.BitsPerSample, written.FrameCount), Is.EqualTo(("yuv420p10le", 10, 5L)));
    }

    [Test]
    public async Task ATextFileNamedMp4FailsWithFfprobesErrorAndLeavesNoOutput()
    {
        string fake = Path.Combine(directory, "notes.mp4");
        File.WriteAllText(fake, "this is not a video\n");

        var error = await Assert.ThrowsAsync<FfmpegException>(() => MediaJobs.RunVideoAsync(fake, Out("x.mp4"), [TestProcessors.Identity()], Options()));

        Assert.That(error!.Message, Does.Contain("notes.mp4").And.Contain("Invalid data found when processing input"));
        Assert.That(Directory.GetFiles(output), Is.Empty);
    }

    [TestCase(false, "moov atom not found")]
    [TestCase(true, "ended after")]
    public async Task ATruncatedVideoFailsClearlyAndLeavesNoOutput(bool indexFirst, string expected)
    {
        // With its index at the end (ffmpeg's default for MP4) a cut file cannot be opened at all; with
        // the index first, ffmpeg decodes what is there and stops quietly, short of the listed count.
        string complete = source;
        if (indexFirst)
        {
            complete = Path.Combine(directory, "faststart.mp4");
            Ffmpeg("-i", source, "-map", "0", "-c", "copy", "-movflags", "+faststart", complete);
        }
        byte[] bytes = File.ReadAllBytes(complete);
        string cut = Path.Combine(directory, $"cut-{indexFirst}.mp4");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var error = await Assert.ThrowsAsync<FfmpegException>(() => MediaJobs.RunVideoAsync(cut, Out("cut.mp4"), [TestProcessors.Identity()], Options()));

        Assert.That(error!.Message, Does.Contain(cut).And.Contain(expected));
        Assert.That(Directory.GetFiles(output), Is.Empty);
    }

    [Test]
    public void AStreamThatEndsMidFrameNamesTheFrame()
    {
        var reader = new RawFrameReader(new MemoryStream(new byte[30]), 12, "clip.mp4");

        Assert.That(reader.ReadNext() && reader.ReadNext(), Is.True);
        Assert.That(() => reader.ReadNext(), Throws.InstanceOf<MediaException>()
            .With.Message.EqualTo("clip.mp4: the video ended in the middle of frame 2 (6 of 12 bytes)"));
    }

    [Test]
    public async Task CancellingMidRunStopsFfmpegAndLeavesNoTemporary()
    {
        using var cancel = new CancellationTokenSource();
        string? temporary = null;
        var cancelling = new DelegateFrameProcessor("cancel", (input, _, _) =>
        {
            if (input.FirstFrameIndex == 20)
            {
                temporary = Directory.GetFiles(output).SingleOrDefault();
                cancel.Cancel();
            }
            return input;
        });

        await Assert.CatchAsync<OperationCanceledException>(() =>
            MediaJobs.RunVideoAsync(source, Out("cancelled.mp4"), [cancelling], Options(), cancel.Token));

        Assert.That(temporary, Does.Contain(AtomicOutputFile.TemporaryMarker), "the encoder was writing its temporary when cancelled");
        Assert.That(Directory.GetFiles(output), Is.Empty);
        Assert.That(ProcessesMentioning(output), Is.Empty, "the encoding ffmpeg was killed");
    }

    // Linux only (the CI's platform): processes whose command line names the path.
    private static List<string> ProcessesMentioning(string path)
    {
        var found = new List<string>();
        if (!OperatingSystem.IsLinux())
            return found;
        foreach (string folder in Directory.GetDirectories("/proc"))
        {
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(path, StringComparison.Ordinal))
                    found.Add(commandLine);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a process, or one that exited while being read.
            }
        }
        return found;
    }

    [Test]
    public async Task FfmpegsOwnErrorsAreSurfaced()
    {
        var options = Options() with { VideoEncode = Fast with { Codec = "no-such-encoder" } };

        var error = await Assert.ThrowsAsync<FfmpegException>(() => MediaJobs.RunVideoAsync(source, Out("bad.mp4"), [TestProcessors.Identity()], options));

        Assert.That(error!.Message, Does.Contain("no-such-encoder"));
        Assert.That(error.ErrorOutput, Does.Contain("Unknown encoder"));
        Assert.That(Directory.GetFiles(output), Is.Empty);
    }

    [Test]
    public async Task ExistingOutputsAreRefusedSkippedOrOverwritten()
    {
        File.WriteAllText(Out("exists.mp4"), "old");

        var refused = await Assert.ThrowsAsync<MediaException>(() =>
            MediaJobs.RunVideoAsync(source, Out("exists.mp4"), [TestProcessors.Identity()], Options()));
        Assert.That(refused!.Message, Does.Contain("exists"));

        var skipped = await MediaJobs.RunVideoAsync(source, Out("exists.mp4"), [TestProcessors.Identity()],
            Options() with { ExistingOutput = ExistingOutputPolicy.Skip });
        Assert.That(skipped, Is.Null);
        Assert.That(File.ReadAllText(Out("exists.mp4")), Is.EqualTo("old"));

        await MediaJobs.RunVideoAsync(source, Out("exists.mp4"), [TestProcessors.Identity()],
            Options() with { ExistingOutput = ExistingOutputPolicy.Overwrite });
        Assert.That(VideoProbe.Probe(Out("exists.mp4"), tools).FrameCount, Is.EqualTo(50));
    }

    private float[] ReadFrame(string path, int index)
    {
        using var video = new FfmpegVideoSource(VideoProbe.Probe(path, tools), tools);
        var frame = new float[video.Format.FloatsPerFrame];
        for (int i = 0; i <= index; i++)
            Assert.That(video.TryDecodeNext(out _, CancellationToken.None), Is.True);
        video.ConvertCurrent(frame);
        return frame;
    }

    private long CountFrames(string path)
    {
        using var video = new FfmpegVideoSource(VideoProbe.Probe(path, tools), tools);
        long frames = 0;
        while (video.TryDecodeNext(out _, CancellationToken.None))
            frames++;
        return frames;
    }

    private static float MeanDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}

public sealed class FfmpegToolsTests
{
    [Test]
    public void MissingFfmpegNamesTheDebianPackage()
    {
        string empty = Directory.CreateTempSubdirectory("gpuc-nopath").FullName;
        try
        {
            Assert.That(() => FfmpegTools.Find(empty), Throws.InstanceOf<FfmpegException>()
                .With.Message.Contains("ffmpeg was not found").And.Message.Contains("Debian package ffmpeg"));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Test]
    public void AnExecutableThatCannotBeStartedNamesTheDebianPackage()
    {
        var tools = new FfmpegTools("/nonexistent/ffmpeg", "/nonexistent/ffprobe");
        string file = Path.GetTempFileName();
        try
        {
            Assert.That(() => VideoProbe.Probe(file, tools), Throws.InstanceOf<FfmpegException>()
                .With.Message.Contains("/nonexistent/ffprobe could not be started").And.Message.Contains("apt-get install ffmpeg"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestCase("30000/1001", 30000, 1001)]
    [TestCase("4:3", 4, 3)]
    [TestCase("25", 25, 1)]
    public void RationalsParseFfmpegsForms(string text, long numerator, long denominator)
    {
        Assert.That(Rational.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(new Rational(numerator, denominator)));
        Assert.That(Rational.TryParse("fast", out _), Is.False);
    }

    [Test]
    public void AQuarterTurnSwapsTheProbedSizeAndDepthComesFromThePixelFormat()
    {
        const string json = """
            {"streams": [
              {"codec_type": "video", "codec_name": "hevc", "width": 1920, "height": 1080, "pix_fmt": "yuv420p10le",
               "avg_frame_rate": "30000/1001", "sample_aspect_ratio": "0:1",
               "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]},
              {"codec_type": "audio"}],
             "format": {"duration": "3.5"}}
            """;

        var info = VideoProbe.Parse("phone.mov", json);

        Assert.That(info.Size, Is.EqualTo(new FrameSize(1080, 1920)));
        Assert.That(info.FrameRate, Is.EqualTo(new Rational(30000, 1001)));
        Assert.That(info.PixelAspect, Is.EqualTo(new Rational(1, 1)), "0:1 means unstated");
        Assert.That(info.BitsPerSample, Is.EqualTo(10));
        Assert.That(info.FrameCount, Is.Null);
        Assert.That((info.HasAudio, info.HasSubtitles), Is.EqualTo((true, false)));
    }
}
