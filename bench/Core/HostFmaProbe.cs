using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Bench.Reporting;

namespace Gpu.Bench.Core;

/// <summary>The FMA throughput the host delivers right now, on one thread and on every core: ten
/// independent 8-lane FMA chains in registers, nothing else. The nominal peak assumes every core
/// runs two FMAs a cycle at the base clock; on a shared or SMT-placed virtual machine two threads
/// may get little more than one, and this says so beside the "% peak" columns.</summary>
public static class HostFmaProbe
{
    private const long Iterations = 20_000_000;

    /// <summary>What the probe runs, for reports.</summary>
    public const string Description = "ten independent 8-lane FMA chains in registers per thread, one thread per logical core";

    /// <summary>GFLOP/s of one thread and of one thread per core together, or null without FMA.</summary>
    public static FmaReading? Measure()
    {
        if (!Fma.IsSupported)
            return null;
        Chains(Iterations / 10);
        double one = Best(() => Chains(Iterations));
        int threads = Environment.ProcessorCount;
        double all = Best(() => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(Iterations)));
        const double flopsPerIteration = 10 * 8 * 2;
        return new(flopsPerIteration * Iterations / one / 1e9, threads * flopsPerIteration * Iterations / all / 1e9);
    }

    private static double Best(Action work)
    {
        double best = double.MaxValue;
        for (int run = 0; run < 3; run++)
        {
            long start = Stopwatch.GetTimestamp();
            work();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    /// <summary>Ten chains, more than FMA latency × issue width, so the loop is bound by throughput alone.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(0.001f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b); c2 = Fma.MultiplyAdd(c2, a, b);
            c3 = Fma.MultiplyAdd(c3, a, b); c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b); c8 = Fma.MultiplyAdd(c8, a, b);
            c9 = Fma.MultiplyAdd(c9, a, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9);
    }
}
