using Gpu.Media.Files;
using Gpu.Media.Images;
using Gpu.Media.Pipeline;
using Gpu.Media.Video;

namespace Gpu.Media;

/// <summary>One input file and the output it becomes.</summary>
/// <param name="Input">The file read.</param>
/// <param name="Output">The file written (its extension picks the format).</param>
public sealed record MediaItem(string Input, string Output);

/// <summary>Everything a run of images or a video can be told, gathered for the command line.</summary>
public sealed record MediaRunOptions
{
    /// <summary>What to do with outputs that exist already (refuse, overwrite, or skip to resume).</summary>
    public ExistingOutputPolicy ExistingOutput { get; init; } = ExistingOutputPolicy.Refuse;

    /// <summary>Batch size and queue depth of the frame pipeline.</summary>
    public FramePipelineOptions Pipeline { get; init; } = new();

    /// <summary>Limits for reading images.</summary>
    public ImageDecodeOptions ImageDecode { get; init; } = new();

    /// <summary>Quality of written images.</summary>
    public ImageEncodeOptions ImageEncode { get; init; } = new();

    /// <summary>Encoder and flags of written videos.</summary>
    public VideoEncodeOptions VideoEncode { get; init; } = new();

    /// <summary>
    /// The shard of a video to run (from <see cref="KeyframeIndex.Split"/>), written as video alone with
    /// timestamps from 0 for <see cref="VideoConcat"/> to join; the whole video when null.
    /// </summary>
    public VideoSegment? VideoSegment { get; init; }

    /// <summary>The ffmpeg and ffprobe to use; found on PATH when null.</summary>
    public FfmpegTools? Tools { get; init; }
}

/// <summary>
/// The media side of <c>gpuc run</c>: a video, or a list of images, through processors into outputs,
/// with the existing-output policy applied. The caller brings the processors (models on devices) and,
/// for folders, the list (<see cref="MediaFiles.List"/>, <see cref="MediaFiles.Shard{T}"/>).
/// </summary>
public static class MediaJobs
{
    /// <summary>
    /// Runs the video <paramref name="input"/> into <paramref name="output"/>; null when the output
    /// exists and the policy skips it.
    /// </summary>
    public static Task<PipelineReport?> RunVideoAsync(string input, string output, IReadOnlyList<IFrameProcessor> processors,
        MediaRunOptions? options = null, CancellationToken cancellationToken = default)
        => RunVideoAsync(VideoProbe.Probe(input, options?.Tools ?? FfmpegTools.Find(), cancellationToken), output, processors, options, cancellationToken);

    /// <summary>
    /// Runs an already probed video into <paramref name="output"/> (for callers that read its frame
    /// count first); null when the output exists and the policy skips it. Throws
    /// <see cref="ArgumentException"/> for an empty <see cref="MediaRunOptions.VideoSegment"/>.
    /// </summary>
    public static async Task<PipelineReport?> RunVideoAsync(VideoInfo input, string output, IReadOnlyList<IFrameProcessor> processors,
        MediaRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new MediaRunOptions();
        if (!AtomicOutputFile.ShouldWrite(output, options.ExistingOutput))
            return null;
        var segment = options.VideoSegment;
        if (segment is { IsEmpty: true })
            throw new ArgumentException($"{input.Path}: {segment} holds no frames; there is nothing to run", nameof(options));
        // Audio, subtitles and metadata span the whole video: they come back when the shards are joined.
        var encode = segment is null ? options.VideoEncode : options.VideoEncode with { CopyAudio = false, CopySubtitles = false };
        var tools = options.Tools ?? FfmpegTools.Find();
        using var source = new FfmpegVideoSource(input, tools, segment);
        using var sink = new FfmpegVideoSink(output, input, encode, options.ExistingOutput, tools);
        return await FramePipeline.RunAsync(source, processors, sink, options.Pipeline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs image files, one frame each, in the order given; items whose output exists are skipped
    /// under <see cref="ExistingOutputPolicy.Skip"/>, and refused up front under
    /// <see cref="ExistingOutputPolicy.Refuse"/>. Null when nothing was left to do.
    /// </summary>
    public static async Task<PipelineReport?> RunImagesAsync(IReadOnlyList<MediaItem> items, IReadOnlyList<IFrameProcessor> processors,
        MediaRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MediaRunOptions();
        var policy = options.ExistingOutput;
        var todo = items.Where(item => AtomicOutputFile.ShouldWrite(item.Output, policy)).ToList();
        if (todo.Count == 0)
            return null;
        using var source = new ImageFileSource(todo.Select(item => item.Input).ToList(), options.ImageDecode);
        using var sink = new ImageFileSink(todo.Select(item => item.Output).ToList(), options.ImageEncode, policy);
        return await FramePipeline.RunAsync(source, processors, sink, options.Pipeline, cancellationToken).ConfigureAwait(false);
    }
}
