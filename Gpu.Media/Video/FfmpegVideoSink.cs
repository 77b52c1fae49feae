using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Media.Video;

/// <summary>
/// Encodes frames into a video through an ffmpeg subprocess fed raw RGB on a pipe. The encoder starts
/// on the first batch, whose size it takes (a processor may have scaled the frames); frame rate and
/// pixel aspect come from the source, and the source's audio and subtitles are copied from the
/// source file. The video is written to a temporary beside the output and renamed only when ffmpeg
/// has finished and the written video holds every frame.
/// </summary>
public sealed class FfmpegVideoSink : IFrameSink
{
    private readonly VideoInfo source;
    private readonly VideoEncodeOptions options;
    private readonly FfmpegTools tools;
    private readonly AtomicOutputFile output;
    private ToolProcess? process;
    private FrameFormat format;
    private byte[] frameBytes = [];
    private long framesWritten;

    /// <summary>
    /// Prepares to write <paramref name="outputPath"/> from frames of <paramref name="source"/>;
    /// throws <see cref="MediaException"/> at once when the output exists and the policy refuses.
    /// </summary>
    public FfmpegVideoSink(string outputPath, VideoInfo source, VideoEncodeOptions? options = null,
        ExistingOutputPolicy policy = ExistingOutputPolicy.Refuse, FfmpegTools? tools = null)
    {
        this.source = source;
        this.options = options ?? new VideoEncodeOptions();
        this.tools = tools ?? FfmpegTools.Find();
        output = new AtomicOutputFile(outputPath, policy);
    }

    /// <summary>Where the video is being written until it is complete.</summary>
    public string TemporaryPath => output.TemporaryPath;

    /// <inheritdoc />
    public void Write(FrameBatch batch, CancellationToken cancellationToken)
    {
        if (process is null)
            Start(batch.Format);
        else if (batch.Format != format)
            throw new MediaException(
                $"{output.FinalPath}: frame {batch.FirstFrameIndex} is {batch.Format} but the video was started at {format}; every frame of a video must have one size");

        using var registration = cancellationToken.Register(process!.Kill);
        for (int n = 0; n < batch.Count; n++)
        {
            var planar = batch.Frame(n);
            if (format.Depth == SampleDepth.Bits16)
                PixelConversion.FrameToInterleaved(planar, format.Size, MemoryMarshal.Cast<byte, ushort>(frameBytes.AsSpan()));
            else
                PixelConversion.FrameToInterleaved(planar, format.Size, frameBytes);
            try
            {
                process.Input.Write(frameBytes);
            }
            catch (IOException e)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int? exitCode = process.TryWaitForExit(TimeSpan.FromSeconds(5));
                throw new FfmpegException($"{output.FinalPath}: ffmpeg stopped taking frames at frame {batch.FirstFrameIndex + n}",
                    exitCode, process.ErrorTail, e);
            }
            framesWritten++;
        }
    }

    /// <inheritdoc />
    public void Complete(long frameCount, CancellationToken cancellationToken)
    {
        if (process is null)
            throw new MediaException($"{output.FinalPath}: no frames to encode");
        if (frameCount != framesWritten)
            throw new MediaException($"{output.FinalPath}: {frameCount} frames were expected but {framesWritten} written");
        try
        {
            process.Input.Close();
        }
        catch (IOException)
        {
            // ffmpeg already exited; its exit code and stderr say why.
        }
        int exitCode = process.WaitForExit(cancellationToken);
        if (exitCode != 0)
            throw new FfmpegException($"{output.FinalPath}: ffmpeg failed to encode the video", exitCode, process.ErrorTail);

        var written = VideoProbe.Probe(output.TemporaryPath, tools, cancellationToken);
        if (written.FrameCount is long count && count != framesWritten)
            throw new MediaException($"{output.FinalPath}: {framesWritten} frames went to the encoder but the written video holds {count}");
        output.Commit();
    }

    private void Start(FrameFormat first)
    {
        format = first;
        int bytesPerSample = first.Depth == SampleDepth.Bits16 ? 2 : 1;
        frameBytes = new byte[checked(FrameFormat.Channels * bytesPerSample * (int)first.Size.Pixels)];
        process = ToolProcess.Start(tools.FfmpegPath, Arguments(first), redirectInput: true, readOutput: false);
    }

    private List<string> Arguments(FrameFormat first)
    {
        bool audio = options.CopyAudio && source.HasAudio, subtitles = options.CopySubtitles && source.HasSubtitles;
        var arguments = new List<string>
        {
            "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", first.Depth == SampleDepth.Bits16 ? "rgb48le" : "rgb24",
            "-s", $"{first.Size.Width}x{first.Size.Height}", "-framerate", source.FrameRate.ToString(), "-i", "pipe:0",
        };
        AddStreams(arguments, source, audio, subtitles, metadata: audio || subtitles, output.FinalPath);
        arguments.AddRange(["-c:v", options.Codec, "-vf", $"setsar={source.PixelAspect}"]);
        string? pixelFormat = options.PixelFormat ?? (source.PixelFormat.StartsWith("yuv", StringComparison.Ordinal) ? source.PixelFormat : "yuv420p");
        arguments.AddRange(["-pix_fmt", pixelFormat]);
        if (options.Crf is int crf)
            arguments.AddRange(["-crf", crf.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (options.Preset is string preset)
            arguments.AddRange(["-preset", preset]);
        arguments.AddRange(options.ExtraArguments);
        arguments.Add(output.TemporaryPath);
        return arguments;
    }

    /// <summary>
    /// Adds to <paramref name="arguments"/>, after the input that brings the video (input 0), the
    /// video's map and what is copied from <paramref name="source"/> as input 1: its audio, its
    /// subtitles (converted where <paramref name="outputPath"/>'s container needs it) and its metadata.
    /// </summary>
    internal static void AddStreams(List<string> arguments, VideoInfo source, bool audio, bool subtitles, bool metadata, string outputPath)
    {
        if (audio || subtitles || metadata)
            arguments.AddRange(["-i", source.Path]);
        arguments.AddRange(["-map", "0:v:0"]);
        if (audio)
            arguments.AddRange(["-map", "1:a?", "-c:a", "copy"]);
        if (subtitles)
            arguments.AddRange(["-map", "1:s?", "-c:s", SubtitleCodec(Path.GetExtension(outputPath), source.SubtitleCodecs)]);
        if (metadata)
            arguments.AddRange(["-map_metadata", "1"]);
    }

    private static readonly HashSet<string> TextSubtitles = ["mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"];

    private static string SubtitleCodec(string extension, IReadOnlyList<string> codecs)
    {
        string? native = extension.ToLowerInvariant() switch
        {
            ".mp4" or ".m4v" or ".mov" => "mov_text",
            ".mkv" => "srt",
            ".webm" => "webvtt",
            _ => null,
        };
        bool allText = codecs.All(TextSubtitles.Contains);
        bool nativeAlready = codecs.All(c => c == native || (native == "srt" && c is "subrip" or "ass" or "ssa" or "webvtt"));
        return native is null || !allText || nativeAlready ? "copy" : native;
    }

    /// <summary>Stops ffmpeg if it is still running and removes the unfinished video.</summary>
    public void Dispose()
    {
        process?.Dispose();
        process = null;
        output.Dispose();
    }
}
