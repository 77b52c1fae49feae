using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;

namespace Gpu.Bench.Models;

/// <summary>The shipped models (samples/models) on every device beside ONNX Runtime (in process,
/// on the same input) and OpenCV's dnn module (through the Python peer), both running the files
/// tools/reference/export_onnx.py exported from the same weights. ONNX Runtime's output is compared
/// with ours before its time is kept; OpenCV's, which runs in Python on its own seeded input, is
/// checked there against the reference definition with the same weights.</summary>
public static class ShippedModelBench
{
    /// <summary>The largest difference from our output ONNX Runtime's may show, relative to the
    /// output's largest magnitude (at least 1): float32 networks of a few dozen layers computed in
    /// another order differ by far less, and a wrong graph or weight by far more.</summary>
    private const double Tolerance = 1e-3;

    private sealed record Case(string Model, string Label, int Batch, int Height, int Width)
    {
        /// <summary>The input's shape: RGB for CAN, RGB at half the output size for VDSR ×2, one grey channel for CRNN.</summary>
        public int[] InputDimensions(string kind) => kind switch
        {
            "vdsr" => [Batch, 3, Height / 2, Width / 2],
            "crnn" => [Batch, 1, Height, Width],
            _ => [Batch, 3, Height, Width],
        };
    }

    /// <summary>Measures every shipped model case on every device with its peers and prints one table.</summary>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices, int threads)
    {
        Case[] cases =
        [
            new("fip-detail", "fip-detail (CAN24) 512×512", 1, 512, 512),
            new("fip-detail", "fip-detail (CAN24) 1920×1080", 1, 1080, 1920),
            new("vdsr-x2", "vdsr-x2 to 512×512", 1, 512, 512),
            new("vdsr-x2", "vdsr-x2 to 1920×1080", 1, 1080, 1920),
            new("crnn", "crnn (shipped) 1×32×100 batch 1", 1, 32, 100),
            new("crnn", "crnn (shipped) 1×32×100 batch 32", 32, 32, 100),
        ];
        cases = [.. cases.Where(c => BenchFilter.Matches(c.Label))];
        if (QuickMode.Enabled)
            cases = [.. cases.Where(c => c.Model == "crnn" && c.Batch == 1)];
        if (cases.Length == 0)
            return;
        if (OnnxExports.ModelsDirectory is not { } modelsDirectory)
        {
            BenchLog.Note(output, "models: the shipped models are not timed: samples/models is not found above bench's binaries");
            return;
        }
        output.WriteLine();
        output.WriteLine($"  shipped models (samples/models) beside ONNX Runtime and OpenCV dnn on the exported ONNX files, CPU, {threads} threads");
        if (OnnxExports.Unavailable is { } noExport)
        {
            BenchLog.Note(output, $"models: no ONNX Runtime or OpenCV dnn figures: {noExport}");
            PeerCatalog.Absent(OnnxRuntimePeer.Name, noExport);
            PeerCatalog.Absent(PeerCatalog.OpenCvDnn, noExport);
        }
        else if (OnnxRuntimePeer.Unavailable is { } noRuntime)
            BenchLog.Note(output, $"models: ONNX Runtime peer absent: {noRuntime}");
        var openCv = RunOpenCv(output, cases, threads);
        output.WriteLine($"  {"device",-10} {"network",-34} {"ms",9} {"GFLOP/s",8} {"ORT ms",9} {"× ORT",7} {"ORT diff",9} {"OpenCV ms",10} {"× OpenCV",9}");
        foreach (var c in cases)
        {
            var model = OnnxExports.Models.GetValueOrDefault(c.Model);
            var weights = ModelWeights.Read(Path.Combine(modelsDirectory, c.Model + ".safetensors"));
            // The file's own metadata names its architecture, as gpuc reads it.
            string kind = weights.Metadata.GetValueOrDefault("architecture", "unknown");
            float[] input = Input(kind, c.InputDimensions(kind));
            (float[] Output, Timing Time)? runtime = model is not null && OnnxRuntimePeer.Unavailable is null
                ? OnnxRuntimePeer.Run(model, input, c.InputDimensions(kind), threads, budgetSeconds: 5, runs: 5) : null;
            foreach (var device in devices)
            {
                using var accelerator = device.Open();
                var (ours, timing, macs) = RunOurs(accelerator, kind, weights, c, input);
                var peers = new List<PeerTiming>();
                string ortColumns = $"{"",9} {"",7} {"",9}";
                if (runtime is { } ort)
                {
                    double largest = Math.Max(1, ort.Output.Max(v => Math.Abs(v)));
                    double difference = ours.Length == ort.Output.Length ? ours.Zip(ort.Output, (x, y) => (double)Math.Abs(x - y)).Max() : double.PositiveInfinity;
                    if (difference <= Tolerance * largest)
                    {
                        peers.Add(new(OnnxRuntimePeer.Name, "CPU provider", OnnxRuntimePeer.Version, ort.Time.Min, MaxAbsDifference: difference));
                        ortColumns = $"{ort.Time.Min * 1e3,9:F1} {ort.Time.Min / timing.Min,7:F2} {difference,9:G2}";
                    }
                    else
                        BenchLog.Note(output, $"models: ONNX Runtime's {c.Label} differs from ours on {device.Name} by {difference:G3} " +
                            $"(bound {Tolerance * largest:G3}): its time is left out");
                }
                string openCvColumns = $"{"",10} {"",9}";
                if (openCv.GetValueOrDefault(c) is { } cv)
                {
                    peers.Add(cv);
                    openCvColumns = $"{cv.Seconds * 1e3,10:F1} {cv.Seconds / timing.Min,9:F2}";
                }
                BenchLog.Record(new("models", c.Label, device.Name, timing, new Work(2 * macs), OtherPeers: peers, Scope: CaseScope.EndToEnd));
                output.WriteLine($"  {device.Name,-10} {c.Label,-34} {timing.Min * 1e3,9:F1} {2 * macs / timing.Min / 1e9,8:F1} {ortColumns} {openCvColumns}");
            }
        }
    }

    /// <summary>Seeded input in the range each network is trained on: [0, 1] for images, [−1, 1] for text lines.</summary>
    private static float[] Input(string kind, int[] dimensions)
    {
        var random = new Random(7);
        int length = dimensions.Aggregate(1, (a, b) => a * b);
        return [.. Enumerable.Range(0, length).Select(_ => kind == "crnn" ? (float)(random.NextDouble() * 2 - 1) : (float)random.NextDouble())];
    }

    /// <summary>Our network with the shipped weights on <paramref name="input"/> (NCHW, as the ONNX
    /// graph takes it): its output from the first call, the timed calls, and its multiply-adds.</summary>
    private static (float[] Output, Timing Time, double Macs) RunOurs(Accelerator accelerator, string kind, ModelWeights weights, Case c, float[] input)
    {
        using var source = accelerator.Allocate<float>(input);
        switch (kind)
        {
            case "crnn":
            {
                var crnn = CrnnWeights.Load(weights);
                using var network = new CrnnNetwork(accelerator, crnn);
                using var logits = accelerator.Allocate<float>((long)CrnnNetwork.StepsFor(c.Width) * c.Batch * crnn.Classes);
                void Call() => network.Forward(source.View, c.Batch, c.Width, logits.View);
                return Timed(accelerator, Call, logits, (double)c.Batch * ModelSummary.ForCrnn(crnn, c.Width).Macs, budgetSeconds: 3, runs: 10);
            }
            case "vdsr":
            {
                var vdsr = VdsrWeights.Load(weights);
                using var network = new VdsrNetwork(accelerator, vdsr);
                var shape = new ImageShape(c.Batch, 3, c.Height / 2, c.Width / 2);
                using var result = accelerator.Allocate<float>(shape.Length * 4);
                void Call() => network.Upscale(source.View, result.View, shape, 2, TensorLayout.RowMajor);
                return Timed(accelerator, Call, result, ModelSummary.ForVdsr(vdsr, c.Width / 2, c.Height / 2, 2).Macs, budgetSeconds: 5, runs: 5);
            }
            case "can":
            {
                var can = CanWeights.Load(weights);
                using var network = new ContextAggregationNetwork(accelerator, can);
                var shape = new ImageShape(c.Batch, 3, c.Height, c.Width);
                using var result = accelerator.Allocate<float>(shape.Length);
                void Call() => network.Forward(source.View, result.View, shape, TensorLayout.RowMajor);
                return Timed(accelerator, Call, result, ModelSummary.ForCan(can.Config, c.Width, c.Height).Macs, budgetSeconds: 5, runs: 5);
            }
            default:
                throw new InvalidDataException($"{c.Model}.safetensors: architecture '{kind}' is none of can, vdsr, crnn");
        }
    }

    private static (float[] Output, Timing Time, double Macs) Timed(Accelerator accelerator, Action call, DeviceBuffer<float> result, double macs,
        double budgetSeconds, int runs)
    {
        call();
        accelerator.Synchronize();
        float[] output = result.ToArray();
        return (output, Measure.Within(accelerator, call, budgetSeconds, runs), macs);
    }

    /// <summary>OpenCV dnn's time of each case through the Python peer, or nothing for a case it cannot run (the reason printed and noted).</summary>
    private static Dictionary<Case, PeerTiming> RunOpenCv(TextWriter output, Case[] cases, int threads)
    {
        var timings = new Dictionary<Case, PeerTiming>();
        Case[] exported = [.. cases.Where(c => OnnxExports.Models.ContainsKey(c.Model))];
        if (exported.Length == 0)
            return timings;
        var arguments = exported.Select(c => new object[] { "opencv_shipped", c.Model, OnnxExports.Models[c.Model].OnnxPath, c.Batch, c.Height, c.Width });
        var (peer, unavailable) = PyTorchPeer.Run("bench_models.py", [JsonSerializer.Serialize(arguments), threads.ToString(CultureInfo.InvariantCulture)], threads);
        if (peer is not { } document)
        {
            BenchLog.Note(output, $"models: OpenCV dnn peer absent: {unavailable}");
            PeerCatalog.Absent(PeerCatalog.OpenCvDnn, unavailable ?? "unknown");
            return timings;
        }
        var results = document.GetProperty("results").EnumerateArray().ToArray();
        foreach (var (c, result) in exported.Zip(results))
        {
            if (result.TryGetProperty("unavailable", out var reason))
            {
                BenchLog.Note(output, $"models: OpenCV dnn cannot run {c.Model}.onnx: {reason.GetString()}");
                continue;
            }
            double difference = result.GetProperty("check_max_abs_diff").GetDouble(), bound = Tolerance * Math.Max(1, result.GetProperty("check_max_abs").GetDouble());
            if (difference <= bound)
                timings[c] = new(PeerCatalog.OpenCvDnn, "readNetFromONNX", PeerCatalog.OpenCvVersion, result.GetProperty("ms").GetDouble() / 1e3,
                    MaxAbsDifference: difference);
            else
                BenchLog.Note(output, $"models: OpenCV dnn's {c.Model} differs from the reference definition by {difference:G3} (bound {bound:G3}): its time is left out");
        }
        return timings;
    }
}
