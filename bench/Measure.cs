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
        => Best(accelerator, work, warmups, runs, double.PositiveInfinity);

    /// <summary>For work that may take seconds a call: one warm-up, then the best wall time in
    /// seconds of timed runs until <paramref name="runs"/> are done or <paramref name="budgetSeconds"/>
    /// is spent (at least one).</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="budgetSeconds">Timed seconds after which no further run starts.</param>
    /// <param name="runs">Most timed runs.</param>
    public static double BestSecondsWithin(Accelerator accelerator, Action work, double budgetSeconds = 1.0, int runs = 3)
        => Best(accelerator, work, 1, runs, budgetSeconds);

    /// <summary>Milliseconds of one call.</summary>
    /// <param name="work">The work.</param>
    public static double Milliseconds(Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Best(Accelerator accelerator, Action work, int warmups, int runs, double budgetSeconds)
    {
        for (int i = 0; i < warmups; i++)
            work();
        accelerator.Synchronize();
        double best = double.MaxValue, spent = 0;
        for (int i = 0; i < runs && (i == 0 || spent < budgetSeconds); i++)
        {
            long start = Stopwatch.GetTimestamp();
            work();
            accelerator.Synchronize();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Min(best, elapsed);
            spent += elapsed;
        }
        return best;
    }
}
