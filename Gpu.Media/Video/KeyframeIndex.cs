using System.Globalization;
using System.Text.Json;

namespace Gpu.Media.Video;

/// <summary>A keyframe: where decoding can start without any earlier frame.</summary>
/// <param name="Frame">Its frame number, counted in presentation order from 0.</param>
/// <param name="SeekSeconds">
/// The input seek (ffmpeg's <c>-ss</c> before <c>-i</c>) that makes it the first frame kept: midway
/// between it and the frame shown before it (so rounding cannot drop it or keep its predecessor), less
/// the file's start time, which ffmpeg adds to the seek.
/// </param>
public readonly record struct Keyframe(long Frame, double SeekSeconds);

/// <summary>
/// How many frames a video's first video stream holds and which are keyframes, read from ffprobe's
/// packet list without decoding; <see cref="Split"/> cuts the frames into shards at keyframes.
/// </summary>
public sealed class KeyframeIndex
{
    /// <summary>
    /// Makes an index of <paramref name="frameCount"/> frames; <paramref name="keyframes"/> must be in
    /// increasing frame order, each below the frame count.
    /// </summary>
    public KeyframeIndex(long frameCount, IReadOnlyList<Keyframe> keyframes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        for (int i = 0; i < keyframes.Count; i++)
            if (keyframes[i].Frame < 0 || keyframes[i].Frame >= frameCount || (i > 0 && keyframes[i].Frame <= keyframes[i - 1].Frame))
                throw new ArgumentException($"keyframe {i} is frame {keyframes[i].Frame}: keyframes must increase and lie within the {frameCount} frames", nameof(keyframes));
        FrameCount = frameCount;
        Keyframes = keyframes;
    }

    /// <summary>Frames of the video stream: its packets, less those the demuxer marks as never shown.</summary>
    public long FrameCount { get; }

    /// <summary>The keyframes, in frame order.</summary>
    public IReadOnlyList<Keyframe> Keyframes { get; }

    /// <summary>Reads the index of <paramref name="path"/> through ffprobe (packets only, nothing decoded).</summary>
    public static KeyframeIndex Read(string path, FfmpegTools? tools = null, CancellationToken cancellationToken = default)
        => Parse(path, VideoProbe.ReadJson(path, ["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags:format=start_time"],
            tools, cancellationToken));

    /// <summary>
    /// Builds the index from ffprobe's packet list. Packets come in decode order (a B-frame after the
    /// frame it refers forward to), so a frame's number is the rank of its presentation time.
    /// </summary>
    internal static KeyframeIndex Parse(string path, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        double start = root.TryGetProperty("format", out var format) && Seconds(VideoProbe.String(format, "start_time")) is double s ? s : 0;
        var frames = new List<(double Time, bool Key)>();
        if (root.TryGetProperty("packets", out var packets))
            foreach (var packet in packets.EnumerateArray())
            {
                string flags = VideoProbe.String(packet, "flags") ?? "";
                // Discarded packets (an edit list cutting the start) are decoded for reference but never shown.
                if (flags.Contains('D'))
                    continue;
                double time = Seconds(VideoProbe.String(packet, "pts_time"))
                    ?? throw new MediaException($"{path}: video packet {frames.Count} has no presentation time, so the video cannot be cut at keyframes; remux it first (ffmpeg -i in -c copy out.mkv)");
                frames.Add((time, flags.Contains('K')));
            }
        var shown = frames.OrderBy(f => f.Time).ToList();
        var keyframes = new List<Keyframe>();
        for (int i = 0; i < shown.Count; i++)
            if (shown[i].Key)
                keyframes.Add(new Keyframe(i, i == 0 ? 0 : Math.Max(0, (shown[i - 1].Time + shown[i].Time) / 2 - start)));
        return new KeyframeIndex(shown.Count, keyframes);
    }

    /// <summary>
    /// Cuts the frames into <paramref name="count"/> shards in order. Shard k starts at the keyframe
    /// nearest to frame k × frames / count (the earlier one on a tie); a cut may also fall at the end.
    /// With fewer keyframes than shards several cuts fall on one keyframe, and the shards between them
    /// are empty.
    /// </summary>
    public IReadOnlyList<VideoSegment> Split(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Keyframe[] cuts = [.. Keyframes.Where(k => k.Frame > 0), new Keyframe(FrameCount, 0)];
        var starts = new Keyframe[count + 1];
        starts[0] = new Keyframe(0, 0);
        starts[count] = cuts[^1];
        // The nearest cut moves forward as the target does, so one pass over the cuts finds them all.
        int nearest = 0;
        for (int k = 1; k < count; k++)
        {
            // |cut − k·frames/count| scaled by count, in whole numbers.
            long Distance(int cut) => Math.Abs(cuts[cut].Frame * count - k * FrameCount);
            while (nearest + 1 < cuts.Length && Distance(nearest + 1) < Distance(nearest))
                nearest++;
            starts[k] = cuts[nearest];
        }
        return [.. Enumerable.Range(0, count).Select(i =>
            new VideoSegment(i, count, starts[i].Frame, starts[i + 1].Frame - starts[i].Frame, starts[i].SeekSeconds))];
    }

    /// <summary>Shard <paramref name="index"/> (from 0) of <see cref="Split"/> into <paramref name="count"/>.</summary>
    public VideoSegment Shard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        return Split(count)[index];
    }

    private static double? Seconds(string? text)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) ? seconds : null;
}
