using System.Globalization;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Media.Video;

/// <summary>
/// A video's frames decoded by an ffmpeg subprocess into raw RGB on a pipe: rgb24, or rgb48le where
/// the source has more than 8 bits per sample. Frames come out upright (ffmpeg applies the stream's
/// rotation) and one per decoded frame, with no frames dropped or repeated for timing. Given a
/// <see cref="VideoSegment"/>, only that shard's frames are decoded. A decode that ends early fails:
/// mid-frame, with an ffmpeg error, or with fewer frames than the container lists (or the shard holds).
/// </summary>
public sealed class FfmpegVideoSource : IFrameSource
{
    private readonly FfmpegTools tools;
    private readonly VideoSegment? segment;
    private ToolProcess? process;
    private RawFrameReader? reader;
    private bool finished;

    /// <summary>
    /// Reads the video described by <paramref name="info"/> (from <see cref="VideoProbe.Probe"/>): the
    /// frames of <paramref name="segment"/> (from <see cref="KeyframeIndex.Split"/>), or all of them when null.
    /// </summary>
    public FfmpegVideoSource(VideoInfo info, FfmpegTools? tools = null, VideoSegment? segment = null)
    {
        Info = info;
        this.tools = tools ?? FfmpegTools.Find();
        this.segment = segment;
    }

    /// <summary>What the probe said about the video.</summary>
    public VideoInfo Info { get; }

    /// <summary>The format of every frame.</summary>
    public FrameFormat Format => new(Info.Size, Info.Depth);

    /// <inheritdoc />
    public string Name => Info.Path;

    /// <inheritdoc />
    public bool TryDecodeNext(out FrameFormat format, CancellationToken cancellationToken)
    {
        format = Format;
        if (finished)
            return false;
        if (process is null)
            Start();
        bool read;
        using (cancellationToken.Register(process!.Kill))
        {
            try
            {
                read = reader!.ReadNext();
            }
            catch (IOException) when (cancellationToken.IsCancellationRequested)
            {
                read = false;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (!read)
        {
            finished = true;
            CheckEnd(cancellationToken);
        }
        return read;
    }

    /// <inheritdoc />
    public void ConvertCurrent(Memory<float> planar)
    {
        var frame = reader!.Frame;
        // rgb48le samples are little-endian, as every platform .NET runs on.
        if (Info.Depth == SampleDepth.Bits16)
            PixelConversion.FrameToPlanar(MemoryMarshal.Cast<byte, ushort>(frame), Info.Size, planar.Span);
        else
            PixelConversion.FrameToPlanar(frame, Info.Size, planar.Span);
    }

    private void Start()
    {
        string pixelFormat = Info.Depth == SampleDepth.Bits16 ? "rgb48le" : "rgb24";
        var arguments = new List<string> { "-nostdin", "-hide_banner", "-v", "error" };
        // An input seek starts decoding at the keyframe before the seek point and drops every frame shown
        // before it, so the segment's keyframe is the first frame out.
        if (segment is { FirstFrame: > 0 })
            arguments.AddRange(["-ss", segment.SeekSeconds.ToString("F6", CultureInfo.InvariantCulture)]);
        // One raw frame per decoded frame: no duplicates or drops to fit a frame rate.
        arguments.AddRange(["-i", Info.Path, "-map", "0:v:0", "-vsync", "passthrough"]);
        if (segment is not null)
            arguments.AddRange(["-frames:v", segment.FrameCount.ToString(CultureInfo.InvariantCulture)]);
        arguments.AddRange(["-f", "rawvideo", "-pix_fmt", pixelFormat, "pipe:1"]);
        process = ToolProcess.Start(tools.FfmpegPath, arguments, redirectInput: false);
        int bytesPerSample = Info.Depth == SampleDepth.Bits16 ? 2 : 1;
        reader = new RawFrameReader(process.Output, checked(FrameFormat.Channels * bytesPerSample * (int)Info.Size.Pixels), Info.Path);
    }

    private void CheckEnd(CancellationToken cancellationToken)
    {
        int exitCode = process!.WaitForExit(cancellationToken);
        long frames = reader!.FramesRead;
        if (exitCode != 0)
            throw new FfmpegException($"{Info.Path}: ffmpeg failed decoding after {frames} frames", exitCode, process.ErrorTail);
        // ffmpeg gives up on a truncated file quietly (exit 0, errors on stderr): the container's
        // own frame count (or the shard's, counted from the packets) is the only sign that frames are missing.
        long? expected = segment is null ? Info.FrameCount : segment.FrameCount;
        if (expected is long count && frames < count)
            throw new FfmpegException(
                $"{Info.Path}: the video ended after {frames} of the {count} frames {(segment is null ? "its container lists" : $"of {segment}")}; frame {frames} could not be decoded (truncated or corrupt file?)",
                exitCode, process.ErrorTail);
    }

    /// <summary>Stops ffmpeg if it is still decoding.</summary>
    public void Dispose()
    {
        process?.Dispose();
        process = null;
    }
}
