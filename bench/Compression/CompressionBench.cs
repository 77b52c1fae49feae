using Gpu.Bench.Reporting;
using Gpu.Cli;
using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;

namespace Gpu.Bench.Compression;

/// <summary>The shipped models compressed in memory at a few settings, run per frame on every device
/// dense (the decoded weights) and through the compressed routes: measured per layer (with the route
/// each layer kept), and every layer forced sparse or codebook. GFLOP/s are effective: the unpruned
/// network's multiply-adds over the time, whatever a route skips or structured pruning removed.</summary>
public static class CompressionBench
{
    /// <summary>How every compressible tensor is stored: the share pruned, the bits of its shared values,
    /// and whether whole channels are removed (the network runs narrower) rather than single weights.</summary>
    private sealed record Setting(string Label, double Sparsity, int Bits, bool Channels = false);

    private static readonly Setting[] Settings =
    [
        new("shared 5 b", 0, 5),
        new("channels 25 %, 5 b", 0.25, 5, Channels: true),
        new("channels 50 %, 5 b", 0.5, 5, Channels: true),
        new("pruned 70 %, 5 b", 0.7, 5),
        new("pruned 90 %, 5 b", 0.9, 5),
    ];

    /// <summary>Width of the CRNN line timed: the shipped model's input width.</summary>
    private const int LineWidth = 100;

    /// <summary>Compresses, measures and prints the table.</summary>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        string[] models = ["fip-detail", "fip-edge", "vdsr-x2", "crnn"];
        var settings = Settings;
        int side = QuickMode.Pick(256, 48);
        if (QuickMode.Enabled)
        {
            BenchLog.Note(output, "compression: --quick runs fip-detail (at 48×48) and crnn pruned 90 % only");
            (models, settings) = (["fip-detail", "crnn"], [Settings[^1], Settings[2]]);
        }
        output.WriteLine($"compression: shipped models compressed in memory, one {side}×{side} frame (VDSR: the network on Y at that size; CRNN: one 32×{LineWidth} line); " +
            "routes timed per call, measured = each layer the fastest of its exact routes, timed once when planned (CRNN's LSTM products and linear layers: when loaded)");
        output.WriteLine("  (GFLOP/s: 2 × the unpruned network's multiply-adds over the time; × dense: against the unpruned model's dense route on that device " +
            "(the first setting run); channels N %: that share of each layer's output channels removed where the next layer can drop them; " +
            "layers: D dense, S sparse, C codebook, in network order; " +
            "CRNN: 7 convolutions, then per BiLSTM its two input projections, its two recurrent products and the linear layer)");
        output.WriteLine($"  {"device",-10} {"model",-11} {"storage",-17} {"route",-9} {"ms",9} {"GFLOP/s",8} {"× dense",8}  layers");
        foreach (string model in models)
        {
            var original = ModelWeights.Read(ModelCatalog.Resolve(model));
            double macs = model switch
            {
                "vdsr-x2" => (double)VdsrWeights.Load(original).MacsPerPixel * side * side,
                "crnn" => ModelSummary.ForCrnn(CrnnWeights.Load(original), LineWidth).Macs,
                _ => ModelSummary.ForCan(CanWeights.Load(original).Config, side, side).Macs,
            };
            var narrowable = ChannelGroup.Of(original).Select(g => g.Producer).ToHashSet(StringComparer.Ordinal);
            var unprunedDense = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var setting in settings)
            {
                string label = $"{model} {setting.Label}";
                if (!BenchFilter.Matches(label))
                    continue;
                var plan = ModelCompressor.Compressible(original).ToDictionary(name => name, name => setting.Channels
                    ? new TensorPlan(narrowable.Contains(name) ? setting.Sparsity : 0, setting.Bits, PruningGranularity.Channels)
                    : new TensorPlan(setting.Sparsity, setting.Bits));
                var weights = ModelCompressor.Compress(original, plan).ToWeights(label);
                foreach (var device in devices)
                {
                    using var accelerator = device.Open();
                    LayerRouting[] routings = setting.Sparsity > 0
                        ? [LayerRouting.Dense, LayerRouting.Measured, LayerRouting.Sparse, LayerRouting.Codebook]
                        : [LayerRouting.Dense, LayerRouting.Measured, LayerRouting.Codebook];
                    foreach (var routing in routings)
                    {
                        var (timing, routes) = model switch
                        {
                            "vdsr-x2" => TimeVdsr(accelerator, VdsrWeights.Load(weights), routing, side),
                            "crnn" => TimeCrnn(accelerator, CrnnWeights.Load(weights), routing),
                            _ => TimeCan(accelerator, CanWeights.Load(weights), routing, side),
                        };
                        double seconds = timing.Min;
                        double denseSeconds = unprunedDense.TryAdd(device.Name, seconds) ? seconds : unprunedDense[device.Name];
                        BenchLog.Record(new("compression", $"{label}, {routing}", device.Name, timing, new Work(2 * macs), Note: $"layers {routes}", Scope: CaseScope.EndToEnd));
                        output.WriteLine($"  {device.Name,-10} {model,-11} {setting.Label,-17} {routing.ToString().ToLowerInvariant(),-9} {seconds * 1e3,9:F1} " +
                            $"{2 * macs / seconds / 1e9,8:F1} {denseSeconds / seconds,8:F2}  {routes}");
                    }
                }
            }
        }
    }

    private static string Letters(IEnumerable<ConvRoute> routes) => string.Concat(routes.Select(r => r.ToString()[0]));

    private static (Timing, string Routes) TimeCan(Accelerator accelerator, CanWeights weights, LayerRouting routing, int side)
    {
        using var network = new ContextAggregationNetwork(accelerator, weights, routing: routing);
        var shape = new ImageShape(1, weights.Config.InputChannels, side, side);
        using var input = accelerator.Allocate<float>(Enumerable.Repeat(0.5f, (int)shape.Length).ToArray());
        using var result = accelerator.Allocate<float>(shape.WithChannels(weights.Config.OutputChannels).Length);
        // The first call plans the frame size, and with it the measured routing's timing of each layer.
        var timing = Measure.Within(accelerator, () => network.Forward(input.View, result.View, shape, network.Layout), budgetSeconds: 3, runs: 3);
        return (timing, Letters(network.Convolutions.Select(c => c.Route)));
    }

    private static (Timing, string Routes) TimeVdsr(Accelerator accelerator, VdsrWeights weights, LayerRouting routing, int side)
    {
        using var network = new VdsrNetwork(accelerator, weights, routing);
        using var luminance = accelerator.Allocate<float>(Enumerable.Repeat(0.5f, side * side).ToArray());
        using var result = accelerator.Allocate<float>(side * side);
        var timing = Measure.Within(accelerator, () => network.Forward(luminance.View, result.View, 1, side, side), budgetSeconds: 3, runs: 3);
        return (timing, Letters(network.Convolutions.Select(c => c.Route)));
    }

    private static (Timing, string Routes) TimeCrnn(Accelerator accelerator, CrnnWeights weights, LayerRouting routing)
    {
        // Loading times the recurrent layers' routes (measured routing); the first call plans the line size and times the convolutions'.
        using var network = new CrnnNetwork(accelerator, weights, routing);
        using var line = accelerator.Allocate<float>(Enumerable.Repeat(0.5f, CrnnNetwork.Height * LineWidth).ToArray());
        using var logits = accelerator.Allocate<float>((long)CrnnNetwork.StepsFor(LineWidth) * weights.Classes);
        var timing = Measure.Within(accelerator, () => network.Forward(line.View, 1, LineWidth, logits.View), budgetSeconds: 3, runs: 5);
        return (timing, Letters(network.Convolutions.Select(c => c.Route).Concat(network.Linears.Select(l => l.Route))));
    }
}
