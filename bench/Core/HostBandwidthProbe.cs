using System.Diagnostics;
using System.Numerics.Tensors;

namespace Gpu.Bench.Core;

/// <summary>The streaming bandwidth the host delivers right now, as STREAM's triad measures it: y = a·x + y
/// over vectors larger than the last-level cache (<see cref="StreamingLength"/>) with the library's SIMD kernel (TensorPrimitives), one slice per logical core. The
/// CPU engine's saxpy kernel runs one element per call and is bound by instructions rather than memory,
/// so it alone would put the CPU's bandwidth peak below what its own SIMD paths and PyTorch reach.</summary>
public static class HostBandwidthProbe
{
    private static readonly int Length = StreamingLength.For([]);

    /// <summary>What the probe runs, for reports.</summary>
    public static string Description => $"host triad y = a·x + y (TensorPrimitives.MultiplyAdd), n = {Length:N0}, 12 bytes per element, one slice per logical core, fastest of 5 runs";

    /// <summary>GB/s of the fastest run, every core streaming its own slice.</summary>
    public static double Measure()
    {
        var x = new float[Length];
        var y = new float[Length];
        Array.Fill(x, 1f);
        int threads = Environment.ProcessorCount, slice = (Length + threads - 1) / threads;
        void Triad() => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = t * slice, count = Math.Min(slice, Length - start);
            var ys = y.AsSpan(start, count);
            TensorPrimitives.MultiplyAdd(x.AsSpan(start, count), 0.5f, ys, ys);
        });
        Triad();
        Triad();
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            long started = Stopwatch.GetTimestamp();
            Triad();
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        return 3.0 * sizeof(float) * Length / best / 1e9;
    }
}
