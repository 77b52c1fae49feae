using System.Globalization;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Ops.Gemm;
using Gpu.Ops.Sequence;

namespace Gpu.Bench.Sequence;

/// <summary>The recurrent layers at speech/OCR sizes against PyTorch on the same machine in the
/// same run: LSTMP (512 → 1024 cells, projection 512), a plain LSTM of width 512, and an SRU of
/// width 512, each over T steps of B sequences.</summary>
public static class SequenceBench
{
    private sealed record Case(string Name, string PeerKey, Func<Accelerator, ILayer> Create);

    /// <summary>A layer under measurement: its forward pass, its flop count, and the one GEMM that
    /// computes the input projections of every step (the part that is not sequential).</summary>
    private interface ILayer : IDisposable
    {
        double Flops { get; }

        void Forward();

        void InputProjections();
    }

    /// <summary>Measures every device and the PyTorch CPU peer; prints one table.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int steps = QuickMode.Pick(100, 10), batch = QuickMode.Pick(32, 8);
        var invariant = CultureInfo.InvariantCulture;
        output.WriteLine($"sequence: T = {steps}, B = {batch}, input 512, float32, time-major; best of 5 after 2 warm-ups");
        int threads = Environment.ProcessorCount;
        var (peer, unavailable) = PyTorchPeer.Run("bench_sequence.py",
            [steps.ToString(invariant), batch.ToString(invariant), threads.ToString(invariant)], threads);
        output.WriteLine(peer is null
            ? $"  PyTorch peer unavailable: {unavailable}"
            : $"  PyTorch peer: CPU, {threads} threads; nn.LSTM (with proj_size for LSTMP), SRU in torch ops");
        Case[] cases =
        [
            new("LSTMP 512→1024, proj 512", "lstmp_ms", a => new LstmLayer(a, new LstmOptions(512, 1024, ProjectionSize: 512), steps, batch)),
            new("LSTM 512→512", "lstm_ms", a => new LstmLayer(a, new LstmOptions(512, 512), steps, batch)),
            new("SRU 512→512", "sru_ms", a => new SruLayer(a, new SruOptions(512, 512), steps, batch)),
        ];
        cases = [.. cases.Where(c => BenchFilter.Matches($"{c.Name} T{steps} B{batch}"))];
        output.WriteLine($"  {"layer",-26} {"device",-10} {"ms",9} {"GFLOP/s",9} {"% peak",7} {"input GEMM ms",14} {"PyTorch ms",11} {"× PyTorch",10}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            var milliseconds = new Dictionary<string, double>();
            foreach (var layerCase in cases)
            {
                double? peerMs = peer?.GetProperty(layerCase.PeerKey).GetDouble();
                string peerText = peerMs is { } p ? p.ToString("F1", invariant) : "n/a";
                try
                {
                    using var layer = layerCase.Create(accelerator);
                    var timing = Measure.Runs(accelerator, layer.Forward, warmups: 2, runs: 5);
                    double seconds = timing.Min;
                    double gemmSeconds = Measure.Runs(accelerator, layer.InputProjections, warmups: 1, runs: 3).Min;
                    BenchLog.Record(new("sequence", $"{layerCase.Name} T{steps} B{batch}", device.Name, timing, new Work(layer.Flops),
                        peerMs is { } torch ? new PeerTiming("PyTorch", layerCase.PeerKey == "sru_ms" ? "SRU in torch ops" : "nn.LSTM", PyTorchPeer.Version, torch / 1e3) : null));
                    milliseconds[layerCase.PeerKey] = seconds * 1e3;
                    string ratio = peerMs is { } pm ? (pm / (seconds * 1e3)).ToString("F2", invariant) : "n/a";
                    output.WriteLine($"  {layerCase.Name,-26} {device.Name,-10} {seconds * 1e3,9:F1} {layer.Flops / timing.DeviceSeconds / 1e9,9:F1} {layer.Flops / timing.DeviceSeconds / 1e9 / device.PeakGflops,7:P0} {gemmSeconds * 1e3,14:F1} {peerText,11} {ratio,10}");
                }
                catch (KernelCompilationException e)
                {
                    output.WriteLine($"  {layerCase.Name,-26} {device.Name,-10} not run: {e.Message}");
                }
            }
            if (milliseconds.TryGetValue("sru_ms", out double sru) && milliseconds.TryGetValue("lstm_ms", out double lstm))
                output.WriteLine($"  SRU vs our LSTM of the same width on {device.Name}: {lstm / sru:F1}× faster");
        }
        output.WriteLine("  (× PyTorch = PyTorch's time / ours, as in every suite: above 1 is faster than PyTorch; input GEMM ms = the part of ms");
        output.WriteLine("   that is one GEMM over all steps, the rest is the sequential recurrence)");
    }

    private static float[] RandomValues(int length, float scale, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    private sealed class LstmLayer : ILayer
    {
        private readonly Accelerator accelerator;
        private readonly Lstm lstm;
        private readonly DeviceBuffer<float> input, output, inputWeight, gates;
        private readonly PackedGemmWeights packedInputWeight;
        private readonly GemmShape inputShape;
        private readonly int steps, batch;

        public LstmLayer(Accelerator accelerator, LstmOptions options, int steps, int batch)
        {
            var weights = new Dictionary<string, float[]>();
            int seed = 1;
            foreach (var (name, length) in options.WeightNames(0, 0))
                weights[name] = RandomValues(length, 1f / MathF.Sqrt(options.HiddenSize), seed++);
            this.accelerator = accelerator;
            lstm = new Lstm(accelerator, options, weights);
            input = accelerator.Allocate<float>(RandomValues(steps * batch * options.InputSize, 1f, 99));
            output = accelerator.Allocate<float>((long)steps * batch * options.OutputSize);
            inputWeight = accelerator.Allocate<float>(weights[LstmOptions.Name("weight_ih", 0, 0)]);
            inputShape = new GemmShape(steps * batch, 4 * options.HiddenSize, options.InputSize, TransposeB: true);
            // Prepared as Lstm prepares its own input weight, so this part times the product the layer runs.
            packedInputWeight = DenseGemm.PackB(accelerator, inputShape, inputWeight.View);
            gates = accelerator.Allocate<float>((long)inputShape.M * inputShape.N);
            (this.steps, this.batch) = (steps, batch);
            Flops = lstm.Flops(steps, batch);
        }

        public double Flops { get; }

        public void Forward() => lstm.Forward(input.View, steps, batch, output.View);

        public void InputProjections() => DenseGemm.Multiply(accelerator, inputShape, input.View, packedInputWeight, gates.View);

        public void Dispose()
        {
            lstm.Dispose();
            input.Dispose();
            output.Dispose();
            packedInputWeight.Dispose();
            inputWeight.Dispose();
            gates.Dispose();
        }
    }

    private sealed class SruLayer : ILayer
    {
        private readonly Accelerator accelerator;
        private readonly Sru sru;
        private readonly DeviceBuffer<float> input, output, weight, projections;
        private readonly GemmShape inputShape;
        private readonly int steps, batch;

        public SruLayer(Accelerator accelerator, SruOptions options, int steps, int batch)
        {
            var weights = new Dictionary<string, float[]>();
            int seed = 1;
            foreach (var (name, length) in options.WeightNames(0))
                weights[name] = RandomValues(length, 1f / MathF.Sqrt(options.InputSize), seed++);
            this.accelerator = accelerator;
            sru = new Sru(accelerator, options, weights);
            input = accelerator.Allocate<float>(RandomValues(steps * batch * options.InputSize, 1f, 99));
            output = accelerator.Allocate<float>((long)steps * batch * options.HiddenSize);
            weight = accelerator.Allocate<float>(weights["weight"]);
            inputShape = new GemmShape(steps * batch, options.Blocks * options.HiddenSize, options.InputSize);
            projections = accelerator.Allocate<float>((long)inputShape.M * inputShape.N);
            (this.steps, this.batch) = (steps, batch);
            Flops = sru.Flops(steps, batch);
        }

        public double Flops { get; }

        public void Forward() => sru.Forward(input.View, steps, batch, output.View);

        public void InputProjections() => DenseGemm.Multiply(accelerator, inputShape, input.View, weight.View, projections.View);

        public void Dispose()
        {
            sru.Dispose();
            input.Dispose();
            output.Dispose();
            weight.Dispose();
            projections.Dispose();
        }
    }
}
