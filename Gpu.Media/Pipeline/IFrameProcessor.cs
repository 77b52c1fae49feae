using Gpu.Media.Frames;

namespace Gpu.Media.Pipeline;

/// <summary>
/// The work between decode and encode, typically a model on one device. A processor is called from
/// one thread at a time (the pipeline runs one worker per processor), so it may keep per-device
/// state; several processors run in parallel on different batches.
/// </summary>
public interface IFrameProcessor
{
    /// <summary>Names the processor in timings and errors (for instance the device, "cuda:0").</summary>
    string Name { get; }

    /// <summary>
    /// Processes <paramref name="input"/> and returns a batch with as many frames: the input itself
    /// when it worked in place, or a batch rented from <paramref name="pool"/> (possibly of another
    /// size, as for super-resolution). The pipeline disposes the input when a new batch comes back.
    /// </summary>
    FrameBatch Process(FrameBatch input, FrameBatchPool pool, CancellationToken cancellationToken);
}

/// <summary>An <see cref="IFrameProcessor"/> made from a delegate, for tests and small adapters.</summary>
public sealed class DelegateFrameProcessor(string name, Func<FrameBatch, FrameBatchPool, CancellationToken, FrameBatch> process)
    : IFrameProcessor
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public FrameBatch Process(FrameBatch input, FrameBatchPool pool, CancellationToken cancellationToken) =>
        process(input, pool, cancellationToken);
}
