using Gpu.Media.Frames;

namespace Gpu.Media.Pipeline;

/// <summary>How a <see cref="FramePipeline"/> run groups frames and how much it holds in memory.</summary>
public sealed record FramePipelineOptions
{
    /// <summary>
    /// Frames per processor call (N of NCHW). A batch also ends early where the next frame has
    /// another size, as in a folder of images.
    /// </summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Batches that may wait between two stages. Together with the number of processors it bounds the
    /// batches alive at once, so memory stays fixed however long the input is.
    /// </summary>
    public int QueueCapacity { get; init; } = 2;

    /// <summary>The pool batches are rented from; a fresh one per run when null.</summary>
    public FrameBatchPool? Pool { get; init; }
}
