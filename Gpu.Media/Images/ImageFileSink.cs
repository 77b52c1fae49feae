using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Media.Images;

/// <summary>
/// Writes frame i of a run to <c>outputs[i]</c>, each file atomically and as soon as its frame
/// arrives, so a failure later in the run leaves the finished files intact and no partial one.
/// </summary>
public sealed class ImageFileSink(IReadOnlyList<string> outputs, ImageEncodeOptions? options = null,
    ExistingOutputPolicy policy = ExistingOutputPolicy.Refuse) : IFrameSink
{
    private readonly ImageEncodeOptions options = options ?? new ImageEncodeOptions();

    /// <summary>Files written so far.</summary>
    public int Written { get; private set; }

    /// <inheritdoc />
    public void Write(FrameBatch batch, CancellationToken cancellationToken)
    {
        for (int n = 0; n < batch.Count; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long index = batch.FirstFrameIndex + n;
            if (index >= outputs.Count)
                throw new MediaException($"frame {index} has no output: only {outputs.Count} were planned");
            ImageCodec.Write(batch, n, outputs[(int)index], options, policy);
            Written++;
        }
    }

    /// <inheritdoc />
    public void Complete(long frameCount, CancellationToken cancellationToken)
    {
        if (frameCount != outputs.Count || Written != outputs.Count)
            throw new MediaException(
                $"{outputs.Count} images were planned but {Written} written; the first missing is {(Written < outputs.Count ? outputs[Written] : "none")}");
    }

    /// <summary>Nothing is held open between files; each one is already final or removed.</summary>
    public void Dispose()
    {
    }
}
