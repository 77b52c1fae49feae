using Gpu.Media.Frames;

namespace Gpu.Media.Video;

/// <summary>What ffprobe says about a video file's first video stream and the streams beside it.</summary>
/// <param name="Path">The file probed.</param>
/// <param name="Size">Frame size as decoded: the coded size, turned by the stream's rotation when it is a quarter turn (ffmpeg rotates frames upright when decoding).</param>
/// <param name="FrameRate">Average frame rate; frames are written back at this constant rate.</param>
/// <param name="FrameCount">Frames the container lists, when it lists them (MP4 does, Matroska does not).</param>
/// <param name="PixelAspect">Sample (pixel) aspect ratio; 1/1 where the file states none.</param>
/// <param name="BitsPerSample">Bits per colour sample of the stream (8, 10, 12 …).</param>
/// <param name="PixelFormat">ffmpeg's name of the stream's pixel format (yuv420p, yuv420p10le …).</param>
/// <param name="Codec">ffmpeg's name of the video codec.</param>
/// <param name="HasAudio">Whether the file holds an audio stream, which the writer copies.</param>
/// <param name="SubtitleCodecs">ffmpeg's codec names of the subtitle streams, which the writer copies (empty when there are none).</param>
/// <param name="Duration">The container's duration, when known.</param>
public sealed record VideoInfo(
    string Path,
    FrameSize Size,
    Rational FrameRate,
    long? FrameCount,
    Rational PixelAspect,
    int BitsPerSample,
    string PixelFormat,
    string Codec,
    bool HasAudio,
    IReadOnlyList<string> SubtitleCodecs,
    TimeSpan? Duration)
{
    /// <summary>Whether the file holds a subtitle stream.</summary>
    public bool HasSubtitles => SubtitleCodecs.Count > 0;

    /// <summary>The depth frames are read at: 16 bits (rgb48) for sources of more than 8 bits.</summary>
    public SampleDepth Depth => BitsPerSample > 8 ? SampleDepth.Bits16 : SampleDepth.Bits8;
}
