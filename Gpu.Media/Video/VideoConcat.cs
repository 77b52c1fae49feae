using Gpu.Media.Files;
using Gpu.Media.Frames;

namespace Gpu.Media.Video;

/// <summary>
/// Joins videos end to end without re-encoding, through ffmpeg's concat demuxer with the streams
/// copied: the shards of a sharded run (<see cref="MediaRunOptions.VideoSegment"/>) back into one
/// video, taking audio, subtitles and metadata from the source they were cut from.
/// </summary>
public static class VideoConcat
{
    /// <summary>
    /// Joins <paramref name="parts"/>, in the order given, into <paramref name="outputPath"/> and returns
    /// its frame count. The parts must be videos of one size, codec, pixel format and frame rate.
    /// <paramref name="sideStreamsFrom"/> names the video they were cut from: the output takes its
    /// audio, subtitles and metadata, and the parts must hold as many frames as it does (so a missing
    /// part is an error, not a shorter video). The output is written to a temporary and renamed only
    /// once it holds every frame of the parts; an existing output is refused unless <paramref name="overwrite"/>.
    /// </summary>
    public static long Join(IReadOnlyList<string> parts, string outputPath, string? sideStreamsFrom = null, bool overwrite = false,
        FfmpegTools? tools = null, CancellationToken cancellationToken = default)
    {
        if (parts.Count == 0)
            throw new ArgumentException("no parts to join", nameof(parts));
        string final = Path.GetFullPath(outputPath);
        if (parts.Append(sideStreamsFrom).Any(input => input is not null && Path.GetFullPath(input) == final))
            throw new ArgumentException($"{final}: the output is also an input; name another file");
        tools ??= FfmpegTools.Find();
        long frames = CountFramesOfMatchingParts(parts, tools, cancellationToken);
        var side = sideStreamsFrom is null ? null : VideoProbe.Probe(sideStreamsFrom, tools, cancellationToken);
        if (side is not null)
        {
            long sourceFrames = KeyframeIndex.Read(side.Path, tools, cancellationToken).FrameCount;
            if (sourceFrames != frames)
                throw new MediaException(
                    $"{final}: the {parts.Count} parts hold {frames} frames but {side.Path}, which they were cut from, has {sourceFrames}; is a part missing or given twice?");
        }

        using var output = new AtomicOutputFile(final, overwrite ? ExistingOutputPolicy.Overwrite : ExistingOutputPolicy.Refuse);
        string list = Path.Combine(Path.GetTempPath(), $"gpuc-concat-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllLines(list, parts.Select(part => "file " + Quote(Path.GetFullPath(part))));
            var arguments = new List<string> { "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list };
            if (side is null)
                arguments.AddRange(["-map", "0:v:0"]);
            else
                FfmpegVideoSink.AddStreams(arguments, side, side.HasAudio, side.HasSubtitles, metadata: true, final);
            arguments.AddRange(["-c:v", "copy", output.TemporaryPath]);
            using var ffmpeg = ToolProcess.Start(tools.FfmpegPath, arguments, redirectInput: false, readOutput: false);
            int exitCode = ffmpeg.WaitForExit(cancellationToken);
            if (exitCode != 0)
                throw new FfmpegException($"{final}: ffmpeg failed to join the {parts.Count} parts", exitCode, ffmpeg.ErrorTail);
        }
        finally
        {
            File.Delete(list);
        }
        long written = KeyframeIndex.Read(output.TemporaryPath, tools, cancellationToken).FrameCount;
        if (written != frames)
            throw new MediaException($"{final}: the {parts.Count} parts hold {frames} frames but the joined video holds {written}");
        output.Commit();
        return written;
    }

    /// <summary>The frames of all the parts, once each is known to be a video like the first.</summary>
    private static long CountFramesOfMatchingParts(IReadOnlyList<string> parts, FfmpegTools tools, CancellationToken cancellationToken)
    {
        var first = VideoProbe.Probe(parts[0], tools, cancellationToken);
        foreach (string part in parts.Skip(1))
        {
            var info = VideoProbe.Probe(part, tools, cancellationToken);
            if (Stream(info) != Stream(first))
                throw new MediaException(
                    $"{info.Path}: {Describe(info)}, but {first.Path} is {Describe(first)}; the parts of one video share size, codec, pixel format and frame rate");
        }
        return parts.Sum(part => KeyframeIndex.Read(part, tools, cancellationToken).FrameCount);
    }

    private static (FrameSize, string, string, Rational) Stream(VideoInfo info) => (info.Size, info.Codec, info.PixelFormat, info.FrameRate);

    private static string Describe(VideoInfo info) => $"{info.Size} {info.Codec} {info.PixelFormat} at {info.FrameRate} frames/s";

    /// <summary>
    /// A path as the concat list's <c>file</c> directive reads it: in single quotes, a quote in the
    /// name closing them, escaped, and reopening them. The list is read line by line, so a line break
    /// cannot be written at all.
    /// </summary>
    private static string Quote(string path)
    {
        if (path.Contains('\n') || path.Contains('\r'))
            throw new MediaException($"{path}: a file name with a line break cannot be listed for ffmpeg's concat demuxer; rename it");
        return "'" + path.Replace("'", @"'\''") + "'";
    }
}
