using System.Diagnostics;
using Gpu.Core;

namespace Gpu.Models.Compression;

/// <summary>The routing rule that convolutions (<see cref="RoutedConv2d"/>) and linear layers
/// (<see cref="RoutedLinear"/>) share: which routes a stored tensor offers, which of them a
/// <see cref="LayerRouting"/> lets a layer consider, and the timing that picks among several.</summary>
internal static class LayerRoutes
{
    /// <summary>Runs of each route timed when <see cref="LayerRouting.Measured"/> chooses (after one untimed run); the fastest counts.</summary>
    private const int TimedRuns = 3;

    /// <summary>The routes a tensor stored as <paramref name="stored"/> offers: dense always; sparse for
    /// a pruned tensor; codebook for a shared or pruned tensor; int8 for an int8 tensor.</summary>
    public static IReadOnlyList<ConvRoute> Offered(CompressedTensor? stored) => stored?.Codec switch
    {
        TensorCodec.SparseShared => [ConvRoute.Dense, ConvRoute.Sparse, ConvRoute.Codebook],
        TensorCodec.Shared => [ConvRoute.Dense, ConvRoute.Codebook],
        TensorCodec.Int8 => [ConvRoute.Dense, ConvRoute.Int8],
        _ => [ConvRoute.Dense],
    };

    /// <summary>The routes <paramref name="routing"/> lets a layer take out of <paramref name="available"/>:
    /// the forced one where offered (else dense), or every exact route when measured.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The routing is not a defined value.</exception>
    public static ConvRoute[] Candidates(LayerRouting routing, IReadOnlyList<ConvRoute> available)
    {
        if (!Enum.IsDefined(routing))
            throw new ArgumentOutOfRangeException(nameof(routing), routing, "Unknown layer routing.");
        var forced = routing switch
        {
            LayerRouting.Sparse => ConvRoute.Sparse,
            LayerRouting.Codebook => ConvRoute.Codebook,
            LayerRouting.Int8 => ConvRoute.Int8,
            _ => ConvRoute.Dense,
        };
        return routing switch
        {
            LayerRouting.Dense => [ConvRoute.Dense],
            LayerRouting.Measured => [.. available.Where(r => r != ConvRoute.Int8)],
            _ => available.Contains(forced) ? [forced] : [ConvRoute.Dense],
        };
    }

    /// <summary>Builds each candidate with <paramref name="build"/>, runs it once untimed and
    /// <see cref="TimedRuns"/> times timed through <paramref name="run"/> (synchronised), records the
    /// best milliseconds of each in <paramref name="measured"/> and returns the fastest route.</summary>
    public static ConvRoute Fastest(Accelerator accelerator, IEnumerable<ConvRoute> candidates, Func<ConvRoute, IDisposable> build, Action<IDisposable> run,
        IDictionary<ConvRoute, double> measured)
    {
        foreach (var route in candidates)
        {
            using var layer = build(route);
            void Run()
            {
                run(layer);
                accelerator.Synchronize();
            }
            Run();
            double best = double.PositiveInfinity;
            for (int timed = 0; timed < TimedRuns; timed++)
            {
                long start = Stopwatch.GetTimestamp();
                Run();
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            measured[route] = best;
        }
        return measured.MinBy(pair => pair.Value).Key;
    }
}
