namespace Gpu.Media.Video;

/// <summary>
/// How the output video is encoded; passed through to ffmpeg as its own flags, so any encoder the
/// installed ffmpeg has can be named.
/// </summary>
public sealed record VideoEncodeOptions
{
    /// <summary>ffmpeg's encoder name (-c:v): libx264, libx265, libvpx-vp9, ffv1 …</summary>
    public string Codec { get; init; } = "libx264";

    /// <summary>Constant rate factor (-crf), when the encoder takes one; the encoder's default when null.</summary>
    public int? Crf { get; init; }

    /// <summary>Encoder preset (-preset), such as "slow" or "ultrafast"; the encoder's default when null.</summary>
    public string? Preset { get; init; }

    /// <summary>
    /// Output pixel format (-pix_fmt). When null, a YUV source's own format is kept (so chroma
    /// subsampling and bit depth stay), and other sources get yuv420p, which every player decodes.
    /// </summary>
    public string? PixelFormat { get; init; }

    /// <summary>Copies the source's audio streams unchanged.</summary>
    public bool CopyAudio { get; init; } = true;

    /// <summary>
    /// Copies the source's subtitle streams. Text subtitles are converted where the output container
    /// cannot hold their codec (to mov_text in MP4 and QuickTime, SubRip in Matroska, WebVTT in
    /// WebM); bitmap subtitles are copied as they are, and a container that cannot hold them makes
    /// ffmpeg refuse, which the error then says.
    /// </summary>
    public bool CopySubtitles { get; init; } = true;

    /// <summary>Further output options, placed just before the output file name.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}
