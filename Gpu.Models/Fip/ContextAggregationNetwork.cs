using System.Diagnostics;
using Gpu.Core;
using Gpu.Models.Compression;
using Gpu.Ops;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Models.Fip;

/// <summary>How the adaptive norms of a <see cref="ContextAggregationNetwork"/> normalise.</summary>
public enum NormalizationMode
{
    /// <summary>With the stored statistics, folded into each convolution's weights and epilogue
    /// once at load: no per-frame cost beyond the convolutions.</summary>
    Folded,
    /// <summary>With each image batch's own per-channel statistics over N·H·W, as the published
    /// TF models do at test time: one reduction and one affine pass per layer.</summary>
    BatchStatistics,
}

/// <summary>A context aggregation network (FIP) on one accelerator. The whole network runs in one
/// layout (<see cref="Conv2d.PreferredLayout"/>), converting only its input and output, through two
/// ping-pong activation buffers that are reused across layers and calls; the adaptive norm and
/// LeakyReLU run in each convolution's epilogue in <see cref="NormalizationMode.Folded"/> mode.
/// Buffers and layers are planned for one image shape and re-planned when it changes, so a
/// stream of equal frames allocates nothing per frame. Not safe for concurrent calls.</summary>
public sealed class ContextAggregationNetwork : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly (WeightValues Weights, Conv2dEpilogue Epilogue)[] hidden;
    private readonly Conv2dEpilogue outputEpilogue;
    private Plan? plan;
    private bool disposed;

    /// <summary>Prepares the network: in folded mode the norms are folded into the weights here.</summary>
    /// <param name="accelerator">Where it runs.</param>
    /// <param name="weights">The weights.</param>
    /// <param name="mode">How the norms normalise.</param>
    /// <param name="routing">Which route each convolution takes where the weights came from a
    /// compressed model (<see cref="CanWeights.StoredConvolutions"/>); dense by default.</param>
    public ContextAggregationNetwork(Accelerator accelerator, CanWeights weights, NormalizationMode mode = NormalizationMode.Folded,
        LayerRouting routing = LayerRouting.Dense)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown normalisation mode.");
        if (!Enum.IsDefined(routing))
            throw new ArgumentOutOfRangeException(nameof(routing), routing, "Unknown layer routing.");
        this.accelerator = accelerator;
        Weights = weights;
        Mode = mode;
        Routing = routing;
        Layout = Conv2d.PreferredLayout(accelerator);
        var activation = Activation.Leaky(weights.Config.Slope);
        hidden = [.. weights.Layers.Select((layer, i) =>
        {
            if (mode == NormalizationMode.BatchStatistics)
                return (layer.Weights, Conv2dEpilogue.None);
            var (scale, shift) = layer.Norm.Affine(layer.RunningMean, layer.RunningVariance);
            return (layer.Weights, new Conv2dEpilogue(Scale: scale, Shift: shift, Activation: activation));
        })];
        outputEpilogue = new Conv2dEpilogue(Bias: weights.OutputBias);
        ActivationBudgetBytes = accelerator.Device.MemoryBytes / 2;
    }

    /// <summary>Device memory one call's activations may take (default: half the device's memory).
    /// In folded mode a larger frame runs as strips of rows with a halo of
    /// <see cref="CanConfig.ReceptiveRadius"/> rows on each side, which makes the strips' centres
    /// exact; batch-statistics mode needs the whole frame at once and refuses it instead.</summary>
    public long ActivationBudgetBytes { get; set; }

    /// <summary>The weights.</summary>
    public CanWeights Weights { get; }

    /// <summary>How the norms normalise.</summary>
    public NormalizationMode Mode { get; }

    /// <summary>The layout every layer runs in.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Which route each convolution takes.</summary>
    public LayerRouting Routing { get; }

    /// <summary>The convolutions of the current plan (the last image size run), 3×3 layers then the
    /// 1×1, with the route each took; empty before the first run.</summary>
    public IReadOnlyList<RoutedConv2d> Convolutions => plan is null ? [] : [.. plan.Hidden, plan.Output];

    /// <summary>Runs the network: <paramref name="input"/> N × InputChannels × H × W, <paramref name="output"/>
    /// N × OutputChannels × H × W, both in <paramref name="layout"/> and not overlapping.</summary>
    /// <param name="input">The images.</param>
    /// <param name="output">The result.</param>
    /// <param name="shape">N, H and W (C is the input's channel count).</param>
    /// <param name="layout">The layout of input and output; the network's own <see cref="Layout"/> spares two conversions.</param>
    /// <exception cref="ArgumentException">The shape's channels are not the network's input channels, or a view has the wrong length.</exception>
    /// <exception cref="InsufficientMemoryException">The frame exceeds <see cref="ActivationBudgetBytes"/>
    /// in batch-statistics mode, or the budget cannot hold even one strip with its halo.</exception>
    public void Forward(ArrayView<float> input, ArrayView<float> output, ImageShape shape, TensorLayout layout)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        shape.Validate();
        var config = Weights.Config;
        if (MemoryFor(config, shape, staged: layout != Layout) <= ActivationBudgetBytes)
        {
            Run(input, output, shape, layout, null);
            return;
        }
        if (Mode == NormalizationMode.BatchStatistics)
            throw new InsufficientMemoryException($"Images of {shape} need {MemoryFor(config, shape, layout != Layout) >> 20} MiB of activations, over the budget of " +
                $"{ActivationBudgetBytes >> 20} MiB; batch statistics need the whole frame at once, so run folded mode (which tiles) or smaller frames.");
        RunInStrips(input, output, shape, layout);
    }

    /// <summary>Rows of output each strip yields for images of <paramref name="shape"/> under the
    /// budget, or the whole height when the frame fits.</summary>
    /// <exception cref="InsufficientMemoryException">The budget cannot hold one row with its halo.</exception>
    public int StripRows(ImageShape shape)
    {
        var config = Weights.Config;
        long perRow = MemoryFor(config, shape with { Batch = 1, Height = 1 }, staged: false) - (long)config.MacsPerPixel * sizeof(float);
        long rows = (ActivationBudgetBytes - config.MacsPerPixel * sizeof(float)) / perRow - 2L * config.ReceptiveRadius;
        if (rows < 1)
            throw new InsufficientMemoryException($"An activation budget of {ActivationBudgetBytes >> 20} MiB cannot hold one row of a {shape.Width}-pixel-wide frame " +
                $"with its halo of {config.ReceptiveRadius} rows above and below ({perRow * (1 + 2L * config.ReceptiveRadius) >> 20} MiB).");
        return (int)Math.Min(rows, shape.Height);
    }

    /// <summary>Each image in windows of equal height (so one plan serves them all): window rows
    /// [top, top + window), of which the centre rows [start, start + rows) lie at least a receptive
    /// radius from every window edge that is not an image edge, and are copied out.</summary>
    private void RunInStrips(ArrayView<float> input, ArrayView<float> output, ImageShape shape, TensorLayout layout)
    {
        var config = Weights.Config;
        int rows = StripRows(shape), halo = config.ReceptiveRadius;
        int window = (int)Math.Min(shape.Height, rows + 2L * halo);
        int inRow = shape.Width * config.InputChannels, outRow = shape.Width * config.OutputChannels;
        using var stagedInput = layout == TensorLayout.Nhwc ? null : accelerator.Allocate<float>(shape.Length);
        using var stagedOutput = layout == TensorLayout.Nhwc ? null : accelerator.Allocate<float>(shape.WithChannels(config.OutputChannels).Length);
        using var windowOutput = accelerator.Allocate<float>((long)window * outRow);
        var source = input;
        var destination = output;
        if (stagedInput is not null && stagedOutput is not null)
        {
            ImageLayoutConversion.Convert(accelerator, input, layout, stagedInput.View, TensorLayout.Nhwc, shape.Batch, shape.Channels, shape.Height, shape.Width);
            (source, destination) = (stagedInput.View, stagedOutput.View);
        }
        var windowShape = new ImageShape(1, config.InputChannels, window, shape.Width);
        for (int n = 0; n < shape.Batch; n++)
            for (int start = 0; start < shape.Height; start += rows)
            {
                int top = Math.Clamp(start - halo, 0, shape.Height - window), count = Math.Min(rows, shape.Height - start);
                long image = (long)n * shape.Height;
                Run(source.SubView((image + top) * inRow, window * inRow), windowOutput.View, windowShape, TensorLayout.Nhwc, null);
                accelerator.Launch(count * outRow, new CopyKernel
                {
                    Source = windowOutput.View.SubView((start - top) * outRow, count * outRow),
                    Destination = destination.SubView((image + start) * outRow, count * outRow),
                });
            }
        if (stagedOutput is not null)
            ImageLayoutConversion.Convert(accelerator, stagedOutput.View, TensorLayout.Nhwc, output, layout, shape.Batch, config.OutputChannels, shape.Height, shape.Width);
        accelerator.Synchronize();
    }


    /// <summary>Runs the network as <see cref="Forward"/> does, waiting after each layer, and returns
    /// each layer's wall time in milliseconds (for finding where the time goes, not for speed).</summary>
    public IReadOnlyList<(string Layer, double Milliseconds)> ForwardProfiled(ArrayView<float> input, ArrayView<float> output, ImageShape shape, TensorLayout layout)
    {
        var timings = new List<(string, double)>();
        Run(input, output, shape, layout, timings);
        return timings;
    }

    private void Run(ArrayView<float> input, ArrayView<float> output, ImageShape shape, TensorLayout layout, List<(string, double)>? timings)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var config = Weights.Config;
        shape.Validate();
        if (shape.Channels != config.InputChannels)
            throw new ArgumentException($"The network takes {config.InputChannels} input channels; the images have {shape.Channels}.", nameof(shape));
        if (input.Length != shape.Length || output.Length != shape.WithChannels(config.OutputChannels).Length)
            throw new ArgumentException($"Images of {shape} need {shape.Length} input and {shape.WithChannels(config.OutputChannels).Length} output elements; got {input.Length} and {output.Length}.");
        var current = PlanFor(shape with { Channels = 1 });
        var clock = Stopwatch.StartNew();
        void Mark(string layer)
        {
            if (timings is null)
                return;
            accelerator.Synchronize();
            timings.Add((layer, clock.Elapsed.TotalMilliseconds));
            clock.Restart();
        }

        ArrayView<float> x = input;
        var staging = layout == Layout ? default : current.Staging(accelerator, config);
        if (layout != Layout)
        {
            ImageLayoutConversion.Convert(accelerator, input, layout, staging.Input.View, Layout, shape.Batch, shape.Channels, shape.Height, shape.Width);
            x = staging.Input.View;
            Mark("input layout");
        }
        var activation = Activation.Leaky(config.Slope);
        for (int i = 0; i < current.Hidden.Length; i++)
        {
            var y = current.PingPong[i % 2].View.SubView(0, checked((int)shape.WithChannels(config.WidthOf(i)).Length));
            current.Hidden[i].Forward(x, y, Layout);
            if (Mode == NormalizationMode.BatchStatistics)
                Weights.Layers[i].Norm.ForwardBatch(accelerator, y, y, Layout, shape.Batch, shape.Height, shape.Width, activation);
            x = y;
            Mark($"3×3 d{config.Dilations[i]} {config.InputsOf(i)}→{config.WidthOf(i)}");
        }
        if (layout == Layout)
        {
            current.Output.Forward(x, output, Layout);
            Mark($"1×1 {config.InputsOf(config.Dilations.Count)}→{config.OutputChannels}");
            return;
        }
        current.Output.Forward(x, staging.Output.View, Layout);
        Mark($"1×1 {config.InputsOf(config.Dilations.Count)}→{config.OutputChannels}");
        ImageLayoutConversion.Convert(accelerator, staging.Output.View, Layout, output, layout, shape.Batch, config.OutputChannels, shape.Height, shape.Width);
        Mark("output layout");
    }

    /// <summary>Bytes of device memory the network needs for images of <paramref name="shape"/>
    /// (its channel count ignored): the two activation buffers, the staged input and output when
    /// the caller's layout differs, and the weights.</summary>
    public static long MemoryFor(CanConfig config, ImageShape shape, bool staged)
    {
        ArgumentNullException.ThrowIfNull(config);
        long pixels = (long)shape.Batch * shape.Height * shape.Width;
        long floats = 2 * pixels * config.Width + (staged ? pixels * (config.InputChannels + config.OutputChannels) : 0) + config.MacsPerPixel;
        return floats * sizeof(float);
    }

    private Plan PlanFor(ImageShape shape)
    {
        if (plan is not null && plan.Shape == shape)
            return plan;
        plan?.Dispose();
        plan = null;
        plan = new Plan(accelerator, Weights, hidden, outputEpilogue, Routing, Layout, shape);
        return plan;
    }

    /// <summary>Frees the planned layers and buffers.</summary>
    public void Dispose()
    {
        disposed = true;
        plan?.Dispose();
        plan = null;
    }

    /// <summary>Layers and buffers for one N × H × W.</summary>
    private sealed class Plan : OwnedResources
    {
        private (DeviceBuffer<float> Input, DeviceBuffer<float> Output)? staging;

        public Plan(Accelerator accelerator, CanWeights weights, (WeightValues Weights, Conv2dEpilogue Epilogue)[] hidden, Conv2dEpilogue outputEpilogue,
            LayerRouting routing, TensorLayout layout, ImageShape shape)
        {
            Shape = shape;
            var config = weights.Config;
            try
            {
                var (n, h, w) = (shape.Batch, shape.Height, shape.Width);
                var scratch = Own(new ConvScratch(accelerator));
                Hidden = [.. hidden.Select((layer, i) => Own(new RoutedConv2d(accelerator,
                    Conv2dShape.Same(n, config.InputsOf(i), h, w, config.WidthOf(i), 3, config.Dilations[i]), layer.Weights, layer.Epilogue,
                    weights.StoredConvolutions[i], routing, layout, scratch)))];
                Output = Own(new RoutedConv2d(accelerator, Conv2dShape.Same(n, config.InputsOf(config.Dilations.Count), h, w, config.OutputChannels, 1), weights.OutputWeights, outputEpilogue,
                    weights.StoredConvolutions[^1], routing, layout, scratch));
                // Sized for the widest layer; each layer uses the front of it.
                long activations = (long)n * config.Width * h * w;
                PingPong = [Own(accelerator.Allocate<float>(activations)), Own(accelerator.Allocate<float>(activations))];
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public ImageShape Shape { get; }

        public RoutedConv2d[] Hidden { get; } = [];

        public RoutedConv2d Output { get; } = null!;

        public DeviceBuffer<float>[] PingPong { get; } = [];

        /// <summary>Input and output in the network's layout, made on the first call in another layout.</summary>
        public (DeviceBuffer<float> Input, DeviceBuffer<float> Output) Staging(Accelerator accelerator, CanConfig config)
        {
            if (staging is null)
            {
                long pixels = (long)Shape.Batch * Shape.Height * Shape.Width;
                staging = (Own(accelerator.Allocate<float>(pixels * config.InputChannels)), Own(accelerator.Allocate<float>(pixels * config.OutputChannels)));
            }
            return staging.Value;
        }
    }
}
