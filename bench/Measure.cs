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
        => Time(accelerator.Synchronize, accelerator.StartKernelTimer, work, warmups, runs, double.PositiveInfinity);

    /// <summary><see cref="Runs"/> without a kernel timer, for the launch suite: its figure is the
    /// launch path itself, to which a timer's per-launch records would add.</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="warmups">Untimed runs first.</param>
    /// <param name="runs">Timed runs.</param>
    public static Timing WallRuns(Accelerator accelerator, Action work, int warmups, int runs)
        => Time(accelerator.Synchronize, NoKernelTimer, work, warmups, runs, double.PositiveInfinity);

    /// <summary>For work that may take seconds a call: one warm-up, then timed runs until
    /// <paramref name="runs"/> are done or <paramref name="budgetSeconds"/> is spent (at least one).</summary>
    /// <param name="accelerator">The accelerator to synchronise.</param>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="budgetSeconds">Timed seconds after which no further run starts.</param>
    /// <param name="runs">Most timed runs.</param>
    public static Timing Within(Accelerator accelerator, Action work, double budgetSeconds = 1.0, int runs = 3)
        => Time(accelerator.Synchronize, accelerator.StartKernelTimer, work, 1, runs, budgetSeconds);

    /// <summary><see cref="Within(Accelerator, Action, double, int)"/> for a host library's call
    /// (a peer in this process), which has finished when it returns.</summary>
    /// <param name="work">One run of the measured work.</param>
    /// <param name="budgetSeconds">Timed seconds after which no further run starts.</param>
    /// <param name="runs">Most timed runs.</param>
    public static Timing Within(Action work, double budgetSeconds = 1.0, int runs = 3)
        => Time(() => { }, NoKernelTimer, work, 1, runs, budgetSeconds);

    /// <summary>Milliseconds of one call.</summary>
    /// <param name="work">The work.</param>
    public static double Milliseconds(Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static Timing Time(Action synchronize, Func<KernelTimer?> startKernelTimer, Action work, int warmups, int runs, double budgetSeconds)
    {
        if (QuickMode.Enabled)
            (warmups, runs) = (Math.Min(warmups, 1), Math.Min(runs, QuickRuns));
        for (int i = 0; i < warmups; i++)
            work();
        synchronize();
        var seconds = new List<double>(runs);
        var kernelSeconds = new List<double>(runs);
        bool kernelsTimed = true;
        double spent = 0;
        for (int i = 0; i < runs && (i == 0 || spent < budgetSeconds); i++)
        {
            // Started before the stopwatch and stopped after it, so reading the device's times stays out of the wall time.
            using var timer = startKernelTimer();
            long start = Stopwatch.GetTimestamp();
            work();
            synchronize();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds.Add(elapsed);
            spent += elapsed;
            if (timer?.Stop() is { Kernels: > 0 } kernels)
                kernelSeconds.Add(kernels.Elapsed.TotalSeconds);
            else
                // No device clock, or work that ran none of our kernels (a peer library's on the same queue): no kernel time to report.
                kernelsTimed = false;
        }
        return new Timing(seconds, kernelsTimed ? kernelSeconds : null);
    }

    private static KernelTimer? NoKernelTimer() => null;
}

/// <summary>Every timed run of one case in seconds, and the statistics the reports show.</summary>
/// <param name="Seconds">The timed runs' wall times (host stopwatch, the device waited for) in the order they ran.</param>
/// <param name="KernelSeconds">Each run's device-side kernel time (<see cref="KernelTimer"/>): the device's own
/// clock summed over the kernels the run launched; null where the engine has no device clock or the run launched none of our kernels.</param>
public sealed record Timing(IReadOnlyList<double> Seconds, IReadOnlyList<double>? KernelSeconds = null)
{
    /// <summary>The fastest run: the figure rates and peer ratios use, as the peer scripts report their best.</summary>
    public double Min => Seconds.Min();

    /// <summary>The slowest run.</summary>
    public double Max => Seconds.Max();

    /// <summary>The middle run (mean of the middle two for an even count).</summary>
    public double Median => MedianOf(Seconds);

    /// <summary>(max − min) / median: how much the runs disagree, a sign of a busy machine.</summary>
    public double Spread => (Max - Min) / Median;

    /// <summary>The fastest run's kernel time, or null without one.</summary>
    public double? KernelMin => KernelSeconds?.Min();

    /// <summary>The median kernel time, or null without one.</summary>
    public double? KernelMedian => KernelSeconds is { } kernel ? MedianOf(kernel) : null;

    /// <summary>The time a device-level rate uses: the fastest kernel time where the device timed its kernels, else the fastest wall time.</summary>
    public double DeviceSeconds => KernelMin ?? Min;

    private static double MedianOf(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
