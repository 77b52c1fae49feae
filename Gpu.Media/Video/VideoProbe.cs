using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gpu.Media.Frames;

namespace Gpu.Media.Video;

/// <summary>Reads a video file's streams through ffprobe.</summary>
public static partial class VideoProbe
{
    /// <summary>
    /// Probes <paramref name="path"/>. Throws <see cref="FfmpegException"/> with ffprobe's own error
    /// when it cannot read the file, and <see cref="MediaException"/> when it holds no video stream.
    /// </summary>
    public static VideoInfo Probe(string path, FfmpegTools? tools = null, CancellationToken cancellationToken = default)
        => Parse(path, ReadJson(path, ["-show_streams", "-show_format"], tools, cancellationToken));

    /// <summary>
    /// Runs ffprobe on <paramref name="path"/> with <paramref name="entries"/> (what to show) and
    /// returns its JSON; throws as <see cref="Probe"/> does when the file is missing or unreadable.
    /// </summary>
    internal static string ReadJson(string path, IEnumerable<string> entries, FfmpegTools? tools, CancellationToken cancellationToken)
    {
        tools ??= FfmpegTools.Find();
        if (!File.Exists(path))
            throw new MediaException($"{path}: no such file");
        using var probe = ToolProcess.Start(tools.FfprobePath, ["-v", "error", "-print_format", "json", .. entries, path], redirectInput: false);
        string json;
        using (cancellationToken.Register(probe.Kill))
        using (var reader = new StreamReader(probe.Output))
            json = reader.ReadToEnd();
        int exitCode = probe.WaitForExit(cancellationToken);
        if (exitCode != 0)
            throw new FfmpegException($"{path}: ffprobe cannot read it as a video", exitCode, probe.ErrorTail);
        return json;
    }

    internal static VideoInfo Parse(string path, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var streams = root.TryGetProperty("streams", out var list) ? list.EnumerateArray().ToList() : [];
        bool Is(JsonElement s, string type) => String(s, "codec_type") == type;
        var video = streams.FirstOrDefault(s => Is(s, "video") && !IsAttachedPicture(s));
        if (video.ValueKind != JsonValueKind.Object)
            throw new MediaException($"{path}: holds no video stream");

        int width = Int(video, "width") ?? 0, height = Int(video, "height") ?? 0;
        if (width <= 0 || height <= 0)
            throw new MediaException($"{path}: the video stream states no frame size");
        if (Math.Abs(Rotation(video)) % 180 == 90)
            (width, height) = (height, width);

        Rational.TryParse(String(video, "avg_frame_rate"), out var rate);
        if (!rate.IsPositive)
            Rational.TryParse(String(video, "r_frame_rate"), out rate);
        if (!rate.IsPositive)
            throw new MediaException($"{path}: the video stream states no frame rate");
        if (!Rational.TryParse(String(video, "sample_aspect_ratio"), out var aspect) || !aspect.IsPositive)
            aspect = new Rational(1, 1);

        string pixelFormat = String(video, "pix_fmt") ?? "";
        long? frames = long.TryParse(String(video, "nb_frames"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : null;
        double? seconds = double.TryParse(root.TryGetProperty("format", out var format) ? String(format, "duration") : null,
            NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;

        return new VideoInfo(path, new FrameSize(width, height), rate, frames, aspect,
            BitsPerSample(video, pixelFormat), pixelFormat, String(video, "codec_name") ?? "",
            streams.Any(s => Is(s, "audio")), streams.Where(s => Is(s, "subtitle")).Select(s => String(s, "codec_name") ?? "").ToList(),
            seconds is double s ? TimeSpan.FromSeconds(s) : null);
    }

    private static bool IsAttachedPicture(JsonElement stream) =>
        stream.TryGetProperty("disposition", out var disposition)
        && disposition.TryGetProperty("attached_pic", out var picture) && picture.ValueKind == JsonValueKind.Number && picture.GetInt32() == 1;

    // ffmpeg 5 states rotation in the display matrix side data; older files carry a "rotate" tag.
    private static int Rotation(JsonElement video)
    {
        if (video.TryGetProperty("side_data_list", out var sideData))
            foreach (var entry in sideData.EnumerateArray())
                if (Int(entry, "rotation") is int degrees)
                    return degrees;
        return video.TryGetProperty("tags", out var tags) && Int(tags, "rotate") is int tagged ? tagged : 0;
    }

    private static int BitsPerSample(JsonElement video, string pixelFormat)
    {
        if (Int(video, "bits_per_raw_sample") is int bits and > 0)
            return bits;
        // yuv420p10le, gbrp12le, rgb48le (16 bits over three samples), p010le …
        if (pixelFormat.StartsWith("rgb48") || pixelFormat.StartsWith("bgr48") || pixelFormat.StartsWith("rgba64"))
            return 16;
        var match = DepthSuffix().Match(pixelFormat);
        int suffix = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 8;
        // Packed formats end in digits too (rgb565le); only 9 to 16 is a per-sample depth.
        return suffix is >= 9 and <= 16 ? suffix : 8;
    }

    [GeneratedRegex(@"(\d{2})(le|be)$")]
    private static partial Regex DepthSuffix();

    internal static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    private static int? Int(JsonElement element, string name) =>
        int.TryParse(String(element, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}
