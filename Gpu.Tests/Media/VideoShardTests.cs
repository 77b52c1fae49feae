using Gpu.Media;
using Gpu.Media.Video;

namespace Gpu.Tests.Media;

/// <summary>
/// Cutting a video into shards at keyframes: the plan (pure, on made-up keyframe lists), the packet list
/// it is read from, and each shard's decode against the whole video's frames.
/// </summary>
public sealed class VideoShardTests
{
    private static KeyframeIndex EveryTenth(long frames) =>
        new(frames, [.. Enumerable.Range(0, (int)((frames + 9) / 10)).Select(i => new Keyframe(10L * i, 10 * i / 25.0 - 0.02))]);

    private static IEnumerable<(long First, long Count)> Ranges(IEnumerable<VideoSegment> segments) => segments.Select(s => (s.FirstFrame, s.FrameCount));

    [Test]
    public void EachShardStartsAtTheKeyframeNearestItsShareOfTheFrames()
    {
        var shards = EveryTenth(50).Split(3);

        // Cuts aimed at frames 16.7 and 33.3 fall on the keyframes 20 and 30.
        Assert.That(Ranges(shards), Is.EqualTo(new[] { (0L, 20L), (20L, 10L), (30L, 20L) }));
        Assert.That(shards.Select(s => s.SeekSeconds), Is.EqualTo(new[] { 0, 0.78, 1.18 }).Within(1e-9));
        Assert.That(shards.Select(s => (s.Index, s.Count)), Is.EqualTo(new[] { (0, 3), (1, 3), (2, 3) }));
        Assert.That(shards[1].ToString(), Is.EqualTo("shard 1/3 (frames 20 to 29)"));
        Assert.That(EveryTenth(50).Shard(2, 3), Is.EqualTo(shards[2]));
    }

    [Test]
    public void OneShardIsTheWholeVideoDecodedFromTheStart()
    {
        Assert.That(Ranges(EveryTenth(50).Split(1)), Is.EqualTo(new[] { (0L, 50L) }));
        Assert.That(EveryTenth(50).Split(1)[0].SeekSeconds, Is.Zero);
    }

    [Test]
    public void FewerKeyframesThanShardsLeaveTheShardsBetweenEqualCutsEmpty()
    {
        var shards = EveryTenth(50).Split(8);

        Assert.That(shards.Select(s => s.FrameCount), Is.EqualTo(new long[] { 10, 0, 10, 0, 10, 10, 0, 10 }));
        Assert.That(shards.Where(s => s.IsEmpty).Select(s => s.ToString()), Is.EqualTo(new[] { "shard 1/8 (no frames)", "shard 3/8 (no frames)", "shard 6/8 (no frames)" }));
    }

    [Test]
    public void AVideoWithOneKeyframeIsAllInTheFirstShard()
    {
        var shards = new KeyframeIndex(25, [new Keyframe(0, 0)]).Split(2);

        Assert.That(Ranges(shards), Is.EqualTo(new[] { (0L, 25L), (25L, 0L) }));
        Assert.That(Ranges(new KeyframeIndex(0, []).Split(2)), Is.EqualTo(new[] { (0L, 0L), (0L, 0L) }), "no frames at all");
    }

    [Test]
    public void ShardsOfAnyKeyframesAndCountCoverEveryFrameOnceAndStartAtKeyframes()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 500; trial++)
        {
            long frames = random.Next(1, 400);
            var keys = Enumerable.Range(0, (int)frames).Where(f => f == 0 || random.Next(random.Next(1, 40)) == 0)
                .Select(f => new Keyframe(f, f * 0.04)).ToList();
            int count = random.Next(1, 40);
            var shards = new KeyframeIndex(frames, keys).Split(count);

            Assert.That(shards, Has.Count.EqualTo(count));
            Assert.That(shards.Sum(s => s.FrameCount), Is.EqualTo(frames));
            long next = 0;
            foreach (var shard in shards)
            {
                Assert.That(shard.FirstFrame, Is.EqualTo(next), $"trial {trial}: shards are contiguous and in order");
                next += shard.FrameCount;
                if (shard is { IsEmpty: false, FirstFrame: > 0 })
                    Assert.That(keys, Does.Contain(new Keyframe(shard.FirstFrame, shard.SeekSeconds)), $"trial {trial}: {shard} starts at a keyframe");
            }
            Assert.That(shards.Count(s => !s.IsEmpty), Is.LessThanOrEqualTo(keys.Count), "no more shards with frames than keyframes");
        }
    }

    [Test]
    public void KeyframesOutOfOrderOrPastTheEndAreRefused()
    {
        Assert.That(() => new KeyframeIndex(50, [new Keyframe(10, 0), new Keyframe(0, 0)]), Throws.ArgumentException);
        Assert.That(() => new KeyframeIndex(50, [new Keyframe(50, 0)]), Throws.ArgumentException);
        Assert.That(() => EveryTenth(50).Shard(3, 3), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void PacketsInDecodeOrderAreNumberedByPresentationTimeAndDiscardedOnesAreNoFrames()
    {
        // An I P B B group then a keyframe, as a B-frame encoder stores them, behind a discarded
        // packet; the file starts at 1.4 s, which ffmpeg adds to a seek.
        const string json = """
            {"packets": [
              {"pts_time": "1.360000", "flags": "_D"},
              {"pts_time": "1.400000", "flags": "K_"},
              {"pts_time": "1.520000", "flags": "__"},
              {"pts_time": "1.440000", "flags": "__"},
              {"pts_time": "1.480000", "flags": "__"},
              {"pts_time": "1.560000", "flags": "K_"},
              {"pts_time": "1.600000", "flags": "__"}],
             "format": {"start_time": "1.400000"}}
            """;

        var index = KeyframeIndex.Parse("clip.ts", json);

        Assert.That(index.FrameCount, Is.EqualTo(6));
        Assert.That(index.Keyframes.Select(k => k.Frame), Is.EqualTo(new long[] { 0, 4 }));
        Assert.That(index.Keyframes[1].SeekSeconds, Is.EqualTo(0.14).Within(1e-9), "midway between 1.52 and 1.56, less the start");
    }

    [Test]
    public void APacketWithoutATimeCannotBeCut()
    {
        const string json = """{"packets": [{"pts_time": "0.0", "flags": "K_"}, {"pts_time": "N/A", "flags": "__"}]}""";

        Assert.That(() => KeyframeIndex.Parse("raw.h264", json), Throws.InstanceOf<MediaException>()
            .With.Message.Contains("raw.h264: video packet 1 has no presentation time"));
    }

    [TestCase(".mp4")]
    [TestCase(".ts")]
    public void EachShardDecodesToTheWholeVideosFramesThere(string extension)
    {
        if (!FfmpegTools.IsAvailable)
            Assert.Ignore("ffmpeg and ffprobe are not on PATH (Debian package ffmpeg)");
        var tools = FfmpegTools.Find();
        string directory = Directory.CreateTempSubdirectory("gpuc-shards").FullName;
        try
        {
            // B-frames and a keyframe every 10 frames; MPEG-TS starts its clock at 1.4 s.
            string video = Path.Combine(directory, "clip" + extension);
            TestVideos.Ffmpeg(tools, "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-t", "2",
                "-c:v", "libx264", "-preset", "ultrafast", "-bf", "3", "-g", "10", "-pix_fmt", "yuv420p", video);
            var info = VideoProbe.Probe(video, tools);
            var index = KeyframeIndex.Read(video, tools);
            Assert.That(index.FrameCount, Is.EqualTo(50));
            Assert.That(index.Keyframes.Select(k => k.Frame), Is.EqualTo(new long[] { 0, 10, 20, 30, 40 }));

            var whole = TestVideos.Frames(new FfmpegVideoSource(info, tools));
            var shards = index.Split(3);
            var joined = shards.SelectMany(shard => TestVideos.Frames(new FfmpegVideoSource(info, tools, shard))).ToList();

            Assert.That(joined, Has.Count.EqualTo(whole.Count));
            for (int i = 0; i < whole.Count; i++)
                Assert.That(joined[i], Is.EqualTo(whole[i]), $"frame {i}");

            // A shard claiming more frames than the video has left ends short, and says so.
            var tooLong = shards[2] with { FrameCount = 25 };
            Assert.That(() => TestVideos.Frames(new FfmpegVideoSource(info, tools, tooLong)), Throws.InstanceOf<FfmpegException>()
                .With.Message.Contains("ended after 20 of the 25 frames of shard 2/3 (frames 30 to 54)"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
