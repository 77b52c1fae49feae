using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Media.Video;

/// <summary>
/// A video's frames decoded by an ffmpeg subprocess into raw RGB on a pipe: rgb24, or rgb48le where
/// the source has more than 8 bits per sample. Frames come out upright (ffmpeg applies the stream's
/// rotation) and one per decoded frame, with no frames dropped or repeated for timing. A decode that
/// ends early fails: mid-frame, with an ffmpeg error, or with fewer frames than the container lists.
/// </summary>
public sealed class FfmpegVideoSource : IFrameSource
{
    private readonly FfmpegTools tools;
    private ToolProcess? process;
    private RawFrameReader? reader;
    private bool finished;

    /// <summary>Reads the video described by <paramref name="info"/> (from <see cref="VideoProbe.Probe"/>).</summary>
    public FfmpegVideoSource(VideoInfo info, FfmpegTools? tools = null)
    {
        Info = info;
        this.tools = tools ?? FfmpegTools.Find();
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
        process = ToolProcess.Start(tools.FfmpegPath,
        [
            "-nostdin", "-hide_banner", "-v", "error",
            "-i", Info.Path,
            "-map", "0:v:0",
            // One raw frame per decoded frame: no duplicates or drops to fit a frame rate.
            "-vsync", "passthrough",
            "-f", "rawvideo", "-pix_fmt", pixelFormat, "pipe:1",
        ], redirectInput: false);
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
        // own frame count is the only sign that frames are missing.
        if (Info.FrameCount is long listed && frames < listed)
            throw new FfmpegException(
                $"{Info.Path}: the video ended after {frames} of the {listed} frames its container lists; frame {frames} could not be decoded (truncated or corrupt file?)",
                exitCode, process.ErrorTail);
    }

    /// <summary>Stops ffmpeg if it is still decoding.</summary>
    public void Dispose()
    {
        process?.Dispose();
        process = null;
    }
}
