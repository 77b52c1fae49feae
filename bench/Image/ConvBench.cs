using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Image;

namespace Gpu.Bench.Image;

/// <summary>3×3 convolutions (FIP's dilated 24→24 layers, VDSR's 64→64) on every device, side by
/// side with PyTorch on the same machine: ms, GFLOP/s, % of the device's peak, PyTorch's ms and
/// the ratio. The CPU runs NHWC (its SIMD path), other devices NCHW.</summary>
public static class ConvBench
{
    private static readonly int[] Dilations = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>The benchmarked shapes: (channels, height, width, dilation); under <c>--quick</c> three small ones.</summary>
    public static IReadOnlyList<(int Channels, int Height, int Width, int Dilation)> Shapes => QuickMode.Pick<IReadOnlyList<(int, int, int, int)>>(
    [
        .. Dilations.Select(d => (24, 512, 512, d)),
        .. Dilations.Select(d => (24, 1080, 1920, d)),
        (64, 256, 256, 1),
    ], [(24, 128, 128, 1), (24, 128, 128, 8), (64, 64, 64, 1)]);

    /// <summary>Measures every shape on every device and prints one table.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int threads = Environment.ProcessorCount;
        var shapes = Shapes.Where(s => BenchFilter.Matches(Label(s))).ToList();
        output.WriteLine($"conv: 3×3, bias + LeakyReLU(0.2) epilogue, batch 1, float32; PyTorch peer on the CPU with {threads} threads, best of NCHW and channels_last");
        string shapesJson = JsonSerializer.Serialize(shapes.Select(s => new[] { s.Channels, s.Height, s.Width, s.Dilation }));
        var (peer, unavailable) = PyTorchPeer.Run("bench_image.py", [shapesJson, threads.ToString(CultureInfo.InvariantCulture)], threads);
        var peerMs = new Dictionary<(int, int, int, int), (double Ms, double CpuMs, string Note)>();
        if (peer is { } peerResult)
        {
            foreach (var entry in peerResult.GetProperty("results").EnumerateArray())
            {
                int[] s = [.. entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
                string note = entry.GetProperty("format").GetString() + (entry.GetProperty("estimated").GetBoolean() ? " est." : "");
                peerMs[(s[0], s[1], s[2], s[3])] = (entry.GetProperty("ms").GetDouble(), entry.GetProperty("cpu_ms").GetDouble(), note);
            }
        }
        else
        {
            output.WriteLine($"  PyTorch peer unavailable: {unavailable}");
        }
        output.WriteLine("  (est.: PyTorch timed on a crop of rows and scaled, where a full call takes over a second;");
        output.WriteLine("   cpu ms: processor time of one call over all threads, which a busy shared machine distorts less than wall time;");
        output.WriteLine("   GFLOP/s: the direct convolution's 2·9·C·O per output over the time, so the Winograd paths, which multiply 2.25× (F(2×2)) or 4× (F(4×4)) less, can pass 100 % of peak)");
        output.WriteLine($"  {"device",-10} {"shape",-22} {"path",-14} {"min ms",9} {"median ms",9} {"GFLOP/s",8} {"% peak",7} {"cpu ms",8} {"PyTorch ms",11} {"cpu ms",8} {"format",-18} {"× PyTorch",9} {"× (cpu)",8}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            foreach (var (channels, height, width, dilation) in shapes)
            {
                var shape = Conv2dShape.Same(1, channels, height, width, channels, 3, dilation);
                var layout = device.Kind == DeviceKind.Cpu ? TensorLayout.Nhwc : TensorLayout.RowMajor;
                var weights = new float[shape.WeightLength];
                var random = new Random(1);
                for (int i = 0; i < weights.Length; i++)
                    weights[i] = (float)(random.NextDouble() - 0.5) * 0.1f;
                using var conv = new Conv2d(accelerator, shape, weights, new Conv2dEpilogue(Bias: new float[channels], Activation: Activation.Leaky(0.2f)));
                using var input = accelerator.Allocate<float>(shape.InputLength);
                using var result = accelerator.Allocate<float>(shape.OutputLength);
                input.Clear();
                var path = conv.AutoPath(layout);
                // As many timed calls as the peer script's RUNS, so neither side gets more chances at a quiet moment.
                var timing = Measure.Runs(accelerator, () => conv.Forward(input.View, result.View, layout), warmups: 1, runs: 5);
                double seconds = timing.Min;
                double cpuMs = ProcessorMilliseconds(accelerator, () => conv.Forward(input.View, result.View, layout));
                double gflops = shape.Flops / timing.DeviceSeconds / 1e9;
                string label = Label((channels, height, width, dilation));
                bool peerKnown = peerMs.TryGetValue((channels, height, width, dilation), out var p);
                BenchLog.Record(new("conv", label, device.Name, timing,
                    new Work(shape.Flops, sizeof(float) * ((double)shape.InputLength + shape.OutputLength + shape.WeightLength)),
                    peerKnown ? new PeerTiming("PyTorch", p.Note, PyTorchPeer.Version, p.Ms / 1e3) : null,
                    path is Conv2dPath.CpuWinograd or Conv2dPath.CpuWinograd4x4 ? "direct-convolution flops counted; Winograd multiplies 2.25× (F(2×2)) or 4× (F(4×4)) less, so it may pass the peak" : null));
                // Host processor time says nothing about work done on a GPU.
                string peerColumns = peerKnown
                    ? $"{p.Ms,11:F1} {p.CpuMs,8:F1} {p.Note,-18} {p.Ms / 1e3 / seconds,9:F2} {(device.Hardware == DeviceHardware.Cpu ? (p.CpuMs / cpuMs).ToString("F2", CultureInfo.InvariantCulture) : "-"),8}"
                    : $"{"n/a",11} {"",8} {"",-18} {"n/a",9} {"",8}";
                output.WriteLine($"  {device.Name,-10} {label,-22} {path,-14} {seconds * 1e3,9:F1} {timing.Median * 1e3,9:F1} {gflops,8:F1} {100 * gflops / device.PeakGflops,6:F0}% {cpuMs,8:F1} {peerColumns}");
            }
        }
    }

    /// <summary>The case's name in the report, which <c>--filter</c> matches.</summary>
    private static string Label((int Channels, int Height, int Width, int Dilation) s) => $"{s.Channels}→{s.Channels} {s.Width}×{s.Height} d{s.Dilation}";

    /// <summary>Least processor time (all threads of this process) of one synchronised call, in ms.</summary>
    private static double ProcessorMilliseconds(Accelerator accelerator, Action work, int runs = 3)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            work();
            accelerator.Synchronize();
            process.Refresh();
            best = Math.Min(best, (process.TotalProcessorTime - before).TotalMilliseconds);
        }
        return best;
    }
}
