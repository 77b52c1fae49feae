using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Bench.Image;

/// <summary>The image ops other than convolution (max pooling, bicubic resizing, adaptive
/// normalisation, BT.601 colour conversion, element-wise activation, sum and scale) on FIP's and
/// VDSR's feature maps and on a 1080p RGB frame, on every device, side by side with PyTorch on the
/// same machine: ms, GB/s, % of the device's bandwidth peak, GFLOP/s where the op computes, PyTorch's
/// ms and the ratio. Each layout-dependent op runs in NCHW and NHWC and the faster counts: which one
/// a device (and, on the CPU, each op's vectorised path) prefers is measured, not assumed.</summary>
public static class ImageOpsBench
{
    private const int FeatureChannels = 24, VdsrChannels = 64, FrameHeight = 1080, FrameWidth = 1920;
    private const float Slope = 0.2f;

    /// <summary>One op on one batch-1 input: its name (also the peer's), its output size, how many
    /// images it reads and flops it does per output element, and how to set one call up.</summary>
    private sealed record Case(string Op, int Channels, int Height, int Width, int OutHeight, int OutWidth,
        int Inputs, double FlopsPerOutput, bool LayoutDependent, Func<Workspace, TensorLayout, Action> Prepare)
    {
        public long InputLength => (long)Channels * Height * Width;

        public long OutputLength => (long)Channels * OutHeight * OutWidth;

        /// <summary>Every input read once and the output written once: the least any implementation moves.</summary>
        public double Bytes => sizeof(float) * ((double)Inputs * InputLength + OutputLength);

        public double Flops => FlopsPerOutput * OutputLength;

        public string Label => Height == OutHeight && Width == OutWidth
            ? $"{Channels} {Width}×{Height}"
            : $"{Channels} {Width}×{Height}→{OutWidth}×{OutHeight}";
    }

    private static readonly (int Channels, int Height, int Width)[] FeatureMaps = [(FeatureChannels, FrameHeight, FrameWidth), (VdsrChannels, 256, 256)];

    /// <summary>Largest input or output of a case under <c>--quick</c>: the 64-channel 256² maps, not the 1080p frames.</summary>
    private const long QuickLength = VdsrChannels * 256 * 256;

    private static IReadOnlyList<Case> AllCases { get; } =
    [
        .. FeatureMaps.Select(f => MaxPool("max_pool_2x2_s2", f, 2, 2, 0)),
        .. FeatureMaps.Select(f => MaxPool("max_pool_3x3_s1_p1", f, 3, 1, 1)),
        // ×2 up is VDSR's input: a 540p frame to the 1080p its network then refines.
        Resize("bicubic_up2", FrameHeight / 2, FrameWidth / 2, FrameHeight, FrameWidth),
        Resize("bicubic_down2", FrameHeight, FrameWidth, FrameHeight / 2, FrameWidth / 2),
        .. FeatureMaps.Select(NormBatch),
        .. FeatureMaps.Select(NormFolded),
        Colour("rgb_to_ycbcr", (a, i, o, l, n, h, w) => ColorConversion.RgbToYCbCr(a, i, o, l, n, h, w)),
        Colour("ycbcr_to_rgb", (a, i, o, l, n, h, w) => ColorConversion.YCbCrToRgb(a, i, o, l, n, h, w)),
        .. FeatureMaps.Select(f => ElementwiseCase("leaky_relu", f, 1, (w, input, output) => () => Elementwise.Activate(w.Accelerator, input, output, Activation.Leaky(Slope)))),
        .. FeatureMaps.Select(f => ElementwiseCase("add", f, 2, (w, input, output) =>
        {
            var other = w.Image(input.Length);
            return () => Elementwise.Add(w.Accelerator, input, other, output);
        })),
        .. FeatureMaps.Select(f => ElementwiseCase("scale", f, 1, (w, input, output) => () => Elementwise.Scale(w.Accelerator, input, output, 0.5f))),
    ];

    /// <summary>Measures every case on every device and prints one table.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int threads = Environment.ProcessorCount;
        Case[] filtered = [.. AllCases.Where(c => BenchFilter.Matches($"{c.Op} {c.Label}"))];
        Case[] cases = [.. filtered.Where(c => !QuickMode.Enabled || Math.Max(c.InputLength, c.OutputLength) <= QuickLength)];
        if (cases.Length < filtered.Length)
            BenchLog.Note(output, $"image: --quick measures the {cases.Length} cases of at most {QuickLength:N0} values, not the 1080p frames");
        output.WriteLine($"image: pooling, bicubic resizing, adaptive normalisation Ψ, BT.601 colour conversion, element-wise; batch 1, float32; PyTorch peer on the CPU with {threads} threads");
        string casesJson = JsonSerializer.Serialize(cases.Select(c => new object[] { c.Op, c.Channels, c.Height, c.Width }));
        var (peer, unavailable) = PyTorchPeer.Run("bench_image_ops.py", [casesJson, threads.ToString(CultureInfo.InvariantCulture)], threads);
        var peerMs = new Dictionary<(string, int, int, int), (double Ms, string Format)>();
        if (peer is { } peerResult)
        {
            foreach (var entry in peerResult.GetProperty("results").EnumerateArray())
            {
                int[] s = [.. entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
                peerMs[(entry.GetProperty("op").GetString()!, s[0], s[1], s[2])] = (entry.GetProperty("ms").GetDouble(), entry.GetProperty("format").GetString()!);
            }
        }
        else
        {
            output.WriteLine($"  PyTorch peer unavailable: {unavailable}");
        }
        output.WriteLine("  (GB/s: the bytes a call must move at least, every input read once and the output written once (add reads two");
        output.WriteLine("   images; norm_batch reads its input again after the statistics, uncounted); GFLOP/s: bicubic 40 per output");
        output.WriteLine("   (16 taps and 4 rows, a multiply-add each), norm_batch 6 per element (mean, variance, affine), norm_folded 2;");
        output.WriteLine("   layout: the faster of NCHW and NHWC on that device, any for element-wise ops; norm_folded is a prepared");
        output.WriteLine("   FoldedAdaptiveNormalization (affine made once, as per frame in a pipeline): Ψ with stored statistics where no");
        output.WriteLine("   convolution precedes it to fold into;");
        output.WriteLine("   PyTorch: the faster of NCHW and channels_last, into preallocated results except max_pool2d and interpolate)");
        output.WriteLine($"  {"device",-10} {"op",-19} {"shape",-22} {"layout",-6} {"ms",9} {"GB/s",7} {"% peak",7} {"GFLOP/s",8} {"PyTorch ms",11} {"format",-13} {"× PyTorch",9}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            foreach (var c in cases)
            {
                TensorLayout[] layouts = c.LayoutDependent ? [TensorLayout.RowMajor, TensorLayout.Nhwc] : [TensorLayout.RowMajor];
                var (layout, timing) = layouts.Select(l => (Layout: l, Timing: Time(accelerator, c, l))).MinBy(t => t.Timing.Min);
                double seconds = timing.Min;
                bool peerKnown = peerMs.TryGetValue((c.Op, c.Channels, c.Height, c.Width), out var p);
                BenchLog.Record(new("image", $"{c.Op} {c.Label}", device.Name, timing, new Work(c.Flops > 0 ? c.Flops : null, c.Bytes),
                    peerKnown ? new PeerTiming("PyTorch", p.Format, PyTorchPeer.Version, p.Ms / 1e3) : null));
                double gbps = c.Bytes / timing.DeviceSeconds / 1e9;
                string layoutName = !c.LayoutDependent ? "any" : layout == TensorLayout.Nhwc ? "NHWC" : "NCHW";
                string gflops = c.Flops > 0 ? (c.Flops / timing.DeviceSeconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) : "-";
                string peerColumns = peerKnown
                    ? $"{p.Ms,11:F2} {p.Format,-13} {p.Ms / 1e3 / seconds,9:F2}"
                    : $"{"n/a",11} {"",-13} {"n/a",9}";
                output.WriteLine($"  {device.Name,-10} {c.Op,-19} {c.Label,-22} {layoutName,-6} {seconds * 1e3,9:F2} {gbps,7:F1} {100 * gbps / device.PeakGBps,6:F0}% {gflops,8} {peerColumns}");
            }
        }
    }

    private static Timing Time(Accelerator accelerator, Case c, TensorLayout layout)
    {
        using var workspace = new Workspace(accelerator);
        return Measure.Within(accelerator, c.Prepare(workspace, layout));
    }

    private static Case MaxPool(string op, (int Channels, int Height, int Width) input, int kernel, int stride, int padding)
    {
        var shape = new MaxPool2dShape(1, input.Channels, input.Height, input.Width, kernel, kernel, stride, stride, Padding2d.Symmetric(padding));
        return new(op, input.Channels, input.Height, input.Width, shape.OutHeight, shape.OutWidth, 1, 0, true, (w, layout) =>
        {
            ArrayView<float> source = w.Image(shape.InputLength), result = w.Output(shape.OutputLength);
            return () => MaxPool2d.Forward(w.Accelerator, shape, source, result, layout);
        });
    }

    private static Case Resize(string op, int height, int width, int outHeight, int outWidth)
        => new(op, 3, height, width, outHeight, outWidth, 1, 40, true, (w, layout) =>
        {
            ArrayView<float> source = w.Image(3L * height * width), result = w.Output(3L * outHeight * outWidth);
            return () => BicubicResize.Forward(w.Accelerator, source, result, layout, 1, 3, height, width, outHeight, outWidth);
        });

    private static Case NormBatch((int Channels, int Height, int Width) input)
        => SameSize("norm_batch", input, 1, 6, true, (w, layout, source, result) =>
        {
            var norm = Norm(input.Channels);
            return () => norm.ForwardBatch(w.Accelerator, source, result, layout, 1, input.Height, input.Width);
        });

    private static Case NormFolded((int Channels, int Height, int Width) input)
        => SameSize("norm_folded", input, 1, 2, true, (w, layout, source, result) =>
        {
            float[] mean = new float[input.Channels], variance = [.. Enumerable.Repeat(1f, input.Channels)];
            var layer = w.Keep(Norm(input.Channels).PrepareFolded(w.Accelerator, mean, variance));
            return () => layer.Forward(source, result, layout, 1, input.Height, input.Width);
        });

    private static Case Colour(string op, Action<Accelerator, ArrayView<float>, ArrayView<float>, TensorLayout, int, int, int> convert)
        => SameSize(op, (3, FrameHeight, FrameWidth), 1, 0, true, (w, layout, source, result) => () => convert(w.Accelerator, source, result, layout, 1, FrameHeight, FrameWidth));

    private static Case ElementwiseCase(string op, (int Channels, int Height, int Width) input, int inputs, Func<Workspace, ArrayView<float>, ArrayView<float>, Action> prepare)
        => SameSize(op, input, inputs, 0, false, (w, layout, source, result) => prepare(w, source, result));

    private static Case SameSize(string op, (int Channels, int Height, int Width) input, int inputs, double flopsPerOutput, bool layoutDependent,
        Func<Workspace, TensorLayout, ArrayView<float>, ArrayView<float>, Action> prepare)
    {
        long length = (long)input.Channels * input.Height * input.Width;
        return new(op, input.Channels, input.Height, input.Width, input.Height, input.Width, inputs, flopsPerOutput, layoutDependent,
            (w, layout) => prepare(w, layout, w.Image(length), w.Output(length)));
    }

    private static AdaptiveNormalization Norm(int channels)
        => new(1f, 0.5f, [.. Enumerable.Range(0, channels).Select(c => 0.5f + c % 7 * 0.1f)], [.. Enumerable.Range(0, channels).Select(c => c % 5 * 0.1f - 0.2f)], 1e-3f);

    /// <summary>The device buffers of one case, freed together.</summary>
    private sealed class Workspace(Accelerator accelerator) : IDisposable
    {
        /// <summary>Values in [−1, 1) for every input, enough for the largest (a 24-channel 1080p map); made once.</summary>
        private static readonly Lazy<float[]> ImageValues = new(() =>
        {
            var random = new Random(1);
            var values = new float[FeatureChannels * FrameHeight * FrameWidth];
            for (int i = 0; i < values.Length; i++)
                values[i] = random.NextSingle() * 2 - 1;
            return values;
        });

        private readonly List<IDisposable> resources = [];

        public Accelerator Accelerator => accelerator;

        public ArrayView<float> Image(long length) => Values(ImageValues.Value.AsSpan(0, checked((int)length)));

        public ArrayView<float> Values(ReadOnlySpan<float> values) => Keep(accelerator.Allocate(values));

        /// <summary>A result buffer; its contents are never read.</summary>
        public ArrayView<float> Output(long length) => Keep(accelerator.Allocate<float>(length));

        public void Dispose()
        {
            foreach (var resource in resources)
                resource.Dispose();
        }

        private ArrayView<float> Keep(DeviceBuffer<float> buffer) => Keep<DeviceBuffer<float>>(buffer).View;

        /// <summary>Frees <paramref name="resource"/> with the case's buffers.</summary>
        public T Keep<T>(T resource) where T : IDisposable
        {
            resources.Add(resource);
            return resource;
        }
    }
}
