using System.Diagnostics;
using Gpu.Core;

namespace Gpu.Bench;

/// <summary>Timing helpers: warm up, then keep every synchronised timed run, so tiered JIT and
/// first-build costs stay out of the figures and scheduler noise shows as the spread.</summary>
public static class Measure
{
    /// <summary>Most timed runs of any case under <c>--quick</c>, which trades confidence for a short smoke run.</summary>
    private const int QuickRuns = 3;

    /// <summary>Every timed run of <paramref name="work"/>, each followed by a synchronise.</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="warmups">Untimed runs first.</param>
    /// <param name="runs">Timed runs.</param>
    public static Timing Runs(Accelerator accelerator, Action work, int warmups = 3, int runs = 10)
        => Time(accelerator.Synchronize, work, warmups, runs, double.PositiveInfinity);

    /// <summary>For work that may take seconds a call: one warm-up, then timed runs until
    /// <paramref name="runs"/> are done or <paramref name="budgetSeconds"/> is spent (at least one).</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="budgetSeconds">Timed seconds after which no further run starts.</param>
    /// <param name="runs">Most timed runs.</param>
    public static Timing Within(Accelerator accelerator, Action work, double budgetSeconds = 1.0, int runs = 3)
        => Time(accelerator.Synchronize, work, 1, runs, budgetSeconds);

    /// <summary><see cref="Within(Accelerator, Action, double, int)"/> for a host library's call
    /// (a peer in this process), which has finished when it returns.</summary>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="budgetSeconds">Timed seconds after which no further run starts.</param>
    /// <param name="runs">Most timed runs.</param>
    public static Timing Within(Action work, double budgetSeconds = 1.0, int runs = 3)
        => Time(() => { }, work, 1, runs, budgetSeconds);

    /// <summary>Milliseconds of one call.</summary>
    /// <param name="work">The work.</param>
    public static double Milliseconds(Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static Timing Time(Action synchronize, Action work, int warmups, int runs, double budgetSeconds)
    {
        if (QuickMode.Enabled)
            (warmups, runs) = (Math.Min(warmups, 1), Math.Min(runs, QuickRuns));
        for (int i = 0; i < warmups; i++)
            work();
        synchronize();
        var seconds = new List<double>(runs);
        double spent = 0;
        for (int i = 0; i < runs && (i == 0 || spent < budgetSeconds); i++)
        {
            long start = Stopwatch.GetTimestamp();
            work();
            synchronize();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds.Add(elapsed);
            spent += elapsed;
        }
        return new Timing(seconds);
    }
}

/// <summary>Every timed run of one case in seconds, and the statistics the reports show.</summary>
/// <param name="Seconds">The timed runs in the order they ran.</param>
public sealed record Timing(IReadOnlyList<double> Seconds)
{
    /// <summary>The fastest run: the figure rates and peer ratios use, as the peer scripts report their best.</summary>
    public double Min => Seconds.Min();

    /// <summary>The slowest run.</summary>
    public double Max => Seconds.Max();

    /// <summary>The middle run (mean of the middle two for an even count).</summary>
    public double Median
    {
        get
        {
            double[] sorted = [.. Seconds.Order()];
            int middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    /// <summary>(max − min) / median: how much the runs disagree, a sign of a busy machine.</summary>
    public double Spread => (Max - Min) / Median;
}
