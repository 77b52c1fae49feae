using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;

namespace Gpu.Bench.Models;

/// <summary>Whole networks on every device beside PyTorch (best of its NCHW / channels_last and
/// eager / folded / traced variants) and OpenCV's dnn module (CAN24 exported to ONNX) on the same
/// machine: ms and frames/s, GFLOP/s from the network's multiply-adds, % of the device's peak,
/// and the ratio; then the shipped models beside ONNX Runtime and OpenCV dnn (<see cref="ShippedModelBench"/>);
/// then where the time goes inside CAN24 at 1080p, layer by layer.</summary>
public static class ModelBench
{
    private sealed record Case(string Name, string Label, int Batch, int Height, int Width, double Macs);

    /// <summary>Measures every network on every device and prints the tables.</summary>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int threads = Environment.ProcessorCount;
        var vdsr = VdsrWeights.Random(18, seed: 1);
        var crnn = CrnnWeights.Random(seed: 1);
        Case[] cases =
        [
            new("can24", "CAN24 512×512", 1, 512, 512, ModelSummary.ForCan(CanConfig.Can24, 512, 512).Macs),
            new("can24", "CAN24 1920×1080", 1, 1080, 1920, ModelSummary.ForCan(CanConfig.Can24, 1920, 1080).Macs),
            new("can32", "CAN32 1920×1080", 1, 1080, 1920, ModelSummary.ForCan(CanConfig.Can32, 1920, 1080).Macs),
            new("vdsr", "VDSR ×2 to 512×512", 1, 512, 512, ModelSummary.ForVdsr(vdsr, 256, 256, 2).Macs),
            new("vdsr", "VDSR ×2 to 1920×1080", 1, 1080, 1920, ModelSummary.ForVdsr(vdsr, 960, 540, 2).Macs),
            new("crnn", "CRNN 1×32×100 batch 1", 1, 32, 100, CrnnMacs(crnn, 1, 100)),
            new("crnn", "CRNN 1×32×100 batch 32", 32, 32, 100, CrnnMacs(crnn, 32, 100)),
        ];
        cases = [.. cases.Where(c => BenchFilter.Matches(c.Label))];
        if (QuickMode.Enabled)
        {
            // Whole networks at image sizes take seconds a call on the CPU, their peers minutes.
            BenchLog.Note(output, "models: --quick runs only CRNN at batch 1 and skips the CAN24 layer profile");
            cases = [.. cases.Where(c => c.Name == "crnn" && c.Batch == 1)];
        }
        output.WriteLine($"models: float32, CAN in folded norm mode; PyTorch and OpenCV on the CPU with {threads} threads (PyTorch: best of its variants, named)");
        var peers = RunPeers(output, cases, threads);
        output.WriteLine("  (GFLOP/s: 2 × the network's multiply-adds over the time; frames/s counts images, so a batch of 32 lines is 32 frames)");
        output.WriteLine($"  {"device",-10} {"network",-24} {"ms",9} {"frames/s",9} {"GFLOP/s",8} {"% peak",7} {"PyTorch ms",11} {"variant",-26} {"× PyTorch",9} {"OpenCV ms",10} {"× OpenCV",9}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            foreach (var c in cases)
            {
                var timing = c.Name switch
                {
                    "can24" or "can32" => TimeCan(accelerator, c.Name == "can24" ? CanConfig.Can24 : CanConfig.Can32, c),
                    "vdsr" => TimeVdsr(accelerator, vdsr, c),
                    _ => TimeCrnn(accelerator, crnn, c),
                };
                double seconds = timing.Min, gflops = 2 * c.Macs / seconds / 1e9;
                // PyTorch is the primary peer, as in every suite; OpenCV dnn (CAN24 only) is another.
                var openCvPeer = peers.TryGetValue(Key(c.Name + "_opencv", c), out var cv) && cv.Ms is { } openCvMs
                    ? new PeerTiming(PeerCatalog.OpenCvDnn, cv.Variant, PeerCatalog.OpenCvVersion, openCvMs / 1e3) : null;
                BenchLog.Record(new("models", c.Label, device.Name, timing, new Work(2 * c.Macs),
                    peers.TryGetValue(Key(c.Name, c), out var best) && best.Ms is { } torchMs ? new PeerTiming("PyTorch", best.Variant, PyTorchPeer.Version, torchMs / 1e3) : null,
                    OtherPeers: openCvPeer is null ? null : [openCvPeer], Scope: CaseScope.EndToEnd));
                string torch = peers.TryGetValue(Key(c.Name, c), out var p) && p.Ms is { } ms
                    ? $"{ms,11:F1} {p.Variant,-26} {ms / 1e3 / seconds,9:F2}" : $"{"n/a",11} {"",-26} {"n/a",9}";
                string opencv = peers.TryGetValue(Key(c.Name + "_opencv", c), out var o) && o.Ms is { } cvMs
                    ? $"{cvMs,10:F1} {cvMs / 1e3 / seconds,9:F2}" : $"{"",10} {"",9}";
                output.WriteLine($"  {device.Name,-10} {c.Label,-24} {seconds * 1e3,9:F1} {c.Batch / seconds,9:F2} {gflops,8:F1} {100 * gflops / device.PeakGflops,6:F0}% {torch} {opencv}");
            }
        }
        ShippedModelBench.Run(output, devices, threads);
        if (QuickMode.Enabled || !BenchFilter.Matches("CAN24 1920×1080 layers"))
            return;
        output.WriteLine();
        output.WriteLine("  CAN24 at 1920×1080, folded, where the time goes (one run, waiting after each layer):");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            using var network = new ContextAggregationNetwork(accelerator, CanWeights.Identity(CanConfig.Can24));
            var shape = new ImageShape(1, 3, 1080, 1920);
            using var input = accelerator.Allocate<float>(shape.Length);
            using var result = accelerator.Allocate<float>(shape.Length);
            input.Clear();
            network.Forward(input.View, result.View, shape, network.Layout);
            var layers = network.ForwardProfiled(input.View, result.View, shape, network.Layout);
            double total = layers.Sum(l => l.Milliseconds);
            foreach (var (layer, ms) in layers)
                output.WriteLine($"  {device.Name,-10} {layer,-22} {ms,9:F1} ms {100 * ms / total,5:F1} %");
        }
    }

    private static string Key(string name, Case c) => $"{name} {c.Batch} {c.Height} {c.Width}";

    private static Dictionary<string, (double? Ms, string Variant)> RunPeers(TextWriter output, Case[] cases, int threads)
    {
        var peerCases = cases.Select(c => c.Name == "crnn" ? new object[] { c.Name, c.Batch, c.Width } : [c.Name, c.Height, c.Width])
            .Concat(cases.Where(c => c.Name == "can24").Select(c => new object[] { "can24_opencv", c.Height, c.Width }));
        var (peer, unavailable) = PyTorchPeer.Run("bench_models.py", [JsonSerializer.Serialize(peerCases), threads.ToString(CultureInfo.InvariantCulture)], threads);
        var results = new Dictionary<string, (double? Ms, string Variant)>();
        if (peer is not { } document)
        {
            output.WriteLine($"  peers unavailable: {unavailable}");
            return results;
        }
        foreach (var entry in document.GetProperty("results").EnumerateArray())
        {
            var key = entry.GetProperty("case").EnumerateArray().ToArray();
            string name = key[0].GetString()!;
            string id = name == "crnn" ? $"crnn {key[1].GetInt32()} 32 {key[2].GetInt32()}" : $"{name} 1 {key[1].GetInt32()} {key[2].GetInt32()}";
            if (entry.TryGetProperty("unavailable", out var reason))
            {
                output.WriteLine($"  {name}: unavailable ({reason.GetString()})");
                results[id] = (null, "");
                continue;
            }
            results[id] = (entry.GetProperty("ms").GetDouble(), entry.TryGetProperty("variant", out var v) ? v.GetString() ?? "" : "");
        }
        return results;
    }

    private static Timing TimeCan(Accelerator accelerator, CanConfig config, Case c)
    {
        using var network = new ContextAggregationNetwork(accelerator, CanWeights.Identity(config));
        var shape = new ImageShape(c.Batch, 3, c.Height, c.Width);
        using var input = accelerator.Allocate<float>(shape.Length);
        using var result = accelerator.Allocate<float>(shape.Length);
        input.Clear();
        // The caller's layout is the network's own, as the frame pipeline hands it frames.
        return Measure.Within(accelerator, () => network.Forward(input.View, result.View, shape, network.Layout), budgetSeconds: 5, runs: 5);
    }

    private static Timing TimeVdsr(Accelerator accelerator, VdsrWeights weights, Case c)
    {
        using var network = new VdsrNetwork(accelerator, weights);
        var shape = new ImageShape(c.Batch, 3, c.Height / 2, c.Width / 2);
        using var input = accelerator.Allocate<float>(shape.Length);
        using var result = accelerator.Allocate<float>(shape.Length * 4);
        input.Clear();
        return Measure.Within(accelerator, () => network.Upscale(input.View, result.View, shape, 2, TensorLayout.RowMajor), budgetSeconds: 5, runs: 5);
    }

    private static Timing TimeCrnn(Accelerator accelerator, CrnnWeights weights, Case c)
    {
        using var network = new CrnnNetwork(accelerator, weights);
        using var input = accelerator.Allocate<float>((long)c.Batch * c.Height * c.Width);
        input.Clear();
        return Measure.Within(accelerator, () => network.Recognize(input.View, c.Batch, c.Width), budgetSeconds: 3, runs: 10);
    }

    private static double CrnnMacs(CrnnWeights weights, int batch, int width) => (double)batch * ModelSummary.ForCrnn(weights, width).Macs;
}
