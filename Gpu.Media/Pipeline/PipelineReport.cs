using System.Text;

namespace Gpu.Media.Pipeline;

/// <summary>Time one stage of a run spent working (not waiting on its queues).</summary>
/// <param name="Stage">"decode", "convert", "process NAME" for each processor, or "encode".</param>
/// <param name="Busy">Time spent in the stage's own work.</param>
/// <param name="Calls">Calls into the stage's work: frames for decode and convert, batches otherwise.</param>
public sealed record StageTiming(string Stage, TimeSpan Busy, long Calls);

/// <summary>
/// What a run did and where its time went. Stages run concurrently, so the one whose busy time is
/// closest to <see cref="Elapsed"/> is the bottleneck; decode and convert share one thread.
/// </summary>
/// <param name="Frames">Frames that went through (in = out).</param>
/// <param name="Elapsed">Wall time of the whole run, finishing the output included.</param>
/// <param name="Stages">Busy time of each stage.</param>
public sealed record PipelineReport(long Frames, TimeSpan Elapsed, IReadOnlyList<StageTiming> Stages)
{
    /// <summary>The busiest stage.</summary>
    public StageTiming Bottleneck => Stages.MaxBy(s => s.Busy)!;

    /// <summary>One line per stage with its busy time and share of the wall time.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"{Frames} frames in {Elapsed.TotalSeconds:F2} s");
        foreach (var stage in Stages)
        {
            double share = Elapsed > TimeSpan.Zero ? stage.Busy / Elapsed : 0;
            text.Append($"{Environment.NewLine}  {stage.Stage,-24} {stage.Busy.TotalSeconds,8:F2} s busy ({share,4:P0})");
        }
        return text.ToString();
    }
}
