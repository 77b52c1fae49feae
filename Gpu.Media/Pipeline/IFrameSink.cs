using Gpu.Media.Frames;

namespace Gpu.Media.Pipeline;

/// <summary>
/// Where processed frames go: image files or a video encoder. The pipeline's encode stage hands it
/// batches in frame order from one thread; the sink learns the output size from the first batch
/// (a processor may have changed it). Only <see cref="Complete"/> makes outputs final: disposing a
/// sink that was not completed removes whatever it had not finished.
/// </summary>
public interface IFrameSink : IDisposable
{
    /// <summary>Writes every frame of <paramref name="batch"/>; the caller keeps ownership of the batch.</summary>
    void Write(FrameBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the output (flushes the encoder, renames temporaries to their final names) after
    /// <paramref name="frameCount"/> frames; fails if the sink expected a different number.
    /// </summary>
    void Complete(long frameCount, CancellationToken cancellationToken);
}
