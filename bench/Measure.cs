using System.Diagnostics;
using Gpu.Core;

namespace Gpu.Bench;

/// <summary>Timing helpers: warm up, then the best of several synchronised runs, so tiered JIT,
/// first-build costs and scheduler noise stay out of the figure.</summary>
public static class Measure
{
    /// <summary>Best wall time in seconds of <paramref name="work"/> followed by a synchronise.</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="warmups">Untimed runs first.</param>
    /// <param name="runs">Timed runs.</param>
    public static double BestSeconds(Accelerator accelerator, Action work, int warmups = 3, int runs = 10)
    {
        for (int i = 0; i < warmups; i++)
            work();
        accelerator.Synchronize();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            work();
            accelerator.Synchronize();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    /// <summary>Milliseconds of one call.</summary>
    /// <param name="work">The work.</param>
    public static double Milliseconds(Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
