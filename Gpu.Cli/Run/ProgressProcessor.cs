using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Cli.Run;

/// <summary>Counts the frames a processor finishes, so the command line can show progress
/// without the pipeline knowing about terminals.</summary>
internal sealed class ProgressProcessor(IFrameProcessor inner, Action<int> framesDone) : IFrameProcessor
{
    public string Name => inner.Name;

    public FrameBatch Process(FrameBatch input, FrameBatchPool pool, CancellationToken cancellationToken)
    {
        int count = input.Count;
        var result = inner.Process(input, pool, cancellationToken);
        framesDone(count);
        return result;
    }
}
