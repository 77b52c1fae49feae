using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Bench.Reporting;

namespace Gpu.Bench.Core;

/// <summary>The FMA throughput the host delivers right now, on one thread and on every core: ten
/// independent FMA chains of the widest vectors the JIT accelerates (512-bit on AVX-512 hosts,
/// else 256-bit) in registers, nothing else. The nominal peak assumes every core runs two FMAs a
/// cycle at the base clock; on a shared or SMT-placed virtual machine two threads may get little
/// more than one, and this says so beside the "% peak" columns.</summary>
public static class HostFmaProbe
{
    private const long Iterations = 20_000_000;

    private static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>Lanes of one FMA chain.</summary>
    private static int Lanes => Wide ? Vector512<float>.Count : Vector256<float>.Count;

    /// <summary>What the probe runs, for reports.</summary>
    public static string Description => $"ten independent {Lanes}-lane FMA chains in registers per thread, one thread per logical core";

    /// <summary>GFLOP/s of one thread and of one thread per core together, or null without FMA.</summary>
    public static FmaReading? Measure()
    {
        if (!Fma.IsSupported)
            return null;
        Func<long, float> chains = Wide ? Chains512 : Chains256;
        chains(Iterations / 10);
        double one = Best(() => chains(Iterations));
        int threads = Environment.ProcessorCount;
        double all = Best(() => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => chains(Iterations)));
        double flopsPerIteration = 10 * Lanes * 2;
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

    /// <summary>Ten chains, more than FMA latency × issue width, so the loop is bound by throughput
    /// alone. The 512-bit and 256-bit forms differ only in the vector type: .NET offers no public
    /// interface over both to write one generic loop.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long iterations)
    {
        Vector512<float> a = Vector512.Create(0.999f), b = Vector512.Create(0.001f), c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        for (long i = 0; i < iterations; i++)
            (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9) = (Avx512F.FusedMultiplyAdd(c0, a, b), Avx512F.FusedMultiplyAdd(c1, a, b), Avx512F.FusedMultiplyAdd(c2, a, b),
                Avx512F.FusedMultiplyAdd(c3, a, b), Avx512F.FusedMultiplyAdd(c4, a, b), Avx512F.FusedMultiplyAdd(c5, a, b), Avx512F.FusedMultiplyAdd(c6, a, b),
                Avx512F.FusedMultiplyAdd(c7, a, b), Avx512F.FusedMultiplyAdd(c8, a, b), Avx512F.FusedMultiplyAdd(c9, a, b));
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9);
    }

    /// <summary>The 256-bit form of <see cref="Chains512"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long iterations)
    {
        Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(0.001f), c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        for (long i = 0; i < iterations; i++)
            (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9) = (Fma.MultiplyAdd(c0, a, b), Fma.MultiplyAdd(c1, a, b), Fma.MultiplyAdd(c2, a, b),
                Fma.MultiplyAdd(c3, a, b), Fma.MultiplyAdd(c4, a, b), Fma.MultiplyAdd(c5, a, b), Fma.MultiplyAdd(c6, a, b),
                Fma.MultiplyAdd(c7, a, b), Fma.MultiplyAdd(c8, a, b), Fma.MultiplyAdd(c9, a, b));
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9);
    }
}
