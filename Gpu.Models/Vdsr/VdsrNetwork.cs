using Gpu.Core;
using Gpu.Models.Compression;
using Gpu.Ops;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Models.Vdsr;

/// <summary>VDSR super-resolution on one accelerator. <see cref="Upscale"/> is the whole pipeline on
/// RGB: BT.601 YCbCr, bicubic ×s of all three channels, the network on Y with its residual add fused
/// into the last convolution, back to RGB, clamped to [0, 1]. Hidden layers run in
/// <see cref="Conv2d.PreferredLayout"/> through two reused activation buffers; a single-channel
/// image is the same in every layout, so Y needs no conversion. Buffers and layers are planned for
/// one output size and re-planned when it changes. Not safe for concurrent calls.</summary>
public sealed class VdsrNetwork : IDisposable
{
    private readonly Accelerator accelerator;
    private Plan? plan;
    private bool disposed;

    /// <summary>Prepares the network.</summary>
    /// <param name="accelerator">Where it runs.</param>
    /// <param name="weights">The weights.</param>
    /// <param name="routing">Which route each convolution takes where the weights came from a
    /// compressed model (<see cref="VdsrWeights.StoredConvolutions"/>); dense by default.</param>
    public VdsrNetwork(Accelerator accelerator, VdsrWeights weights, LayerRouting routing = LayerRouting.Dense)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        if (!Enum.IsDefined(routing))
            throw new ArgumentOutOfRangeException(nameof(routing), routing, "Unknown layer routing.");
        this.accelerator = accelerator;
        Weights = weights;
        Routing = routing;
        Layout = Conv2d.PreferredLayout(accelerator);
    }

    /// <summary>Which route each convolution takes.</summary>
    public LayerRouting Routing { get; }

    /// <summary>The convolutions of the current plan (the last image size run), input layer first,
    /// with the route each took; empty before the first run.</summary>
    public IReadOnlyList<RoutedConv2d> Convolutions => plan?.Convolutions ?? [];

    /// <summary>The weights.</summary>
    public VdsrWeights Weights { get; }

    /// <summary>The layout the hidden layers run in.</summary>
    public TensorLayout Layout { get; }

    /// <summary>The network alone: <c>output = luminance + residual(luminance)</c> for each of
    /// <paramref name="batch"/> single-channel images of <paramref name="height"/> × <paramref name="width"/>
    /// (already at the target size).</summary>
    /// <exception cref="ArgumentException">A view has the wrong length, or output and input overlap.</exception>
    public void Forward(ArrayView<float> luminance, ArrayView<float> output, int batch, int height, int width)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var shape = new ImageShape(batch, 1, height, width);
        shape.Validate();
        if (luminance.Length != shape.Length || output.Length != shape.Length)
            throw new ArgumentException($"{shape} luminance needs {shape.Length} elements in and out; got {luminance.Length} and {output.Length}.");
        if (luminance.Overlaps(output))
            throw new ArgumentException("The output must not overlap the luminance: the network reads it again in its last layer.", nameof(output));
        var current = PlanFor(height, width);
        for (int n = 0; n < batch; n++)
            current.Run(luminance.SubView(n * shape.Pixels, shape.Pixels), output.SubView(n * shape.Pixels, shape.Pixels), Layout);
    }

    /// <summary>Upscales RGB images in [0, 1] by <paramref name="scale"/>: <paramref name="input"/>
    /// N × 3 × H × W, <paramref name="output"/> N × 3 × sH × sW, both in <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">The images are not RGB, the scale is not 1 to 8, or a view has the wrong length.</exception>
    public void Upscale(ArrayView<float> input, ArrayView<float> output, ImageShape shape, int scale, TensorLayout layout)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        shape.Validate();
        if (shape.Channels != 3)
            throw new ArgumentException($"VDSR upscales RGB images; these have {shape.Channels} channels.", nameof(shape));
        if (scale is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "VDSR scales by 1 to 8.");
        var target = shape with { Height = checked(shape.Height * scale), Width = checked(shape.Width * scale) };
        target.Validate();
        if (input.Length != shape.Length || output.Length != target.Length)
            throw new ArgumentException($"Upscaling {shape} by {scale} needs {shape.Length} input and {target.Length} output elements; got {input.Length} and {output.Length}.");
        var current = PlanFor(target.Height, target.Width);
        var (small, large) = current.Colour(accelerator, shape, target);
        // Colour work runs in NCHW so each image's Y plane is one contiguous run for the network.
        ArrayView<float> rgb = input;
        if (layout != TensorLayout.RowMajor)
        {
            ImageLayoutConversion.Convert(accelerator, input, layout, small.View, TensorLayout.RowMajor, shape.Batch, 3, shape.Height, shape.Width);
            rgb = small.View;
        }
        ColorConversion.RgbToYCbCr(accelerator, rgb, small.View, TensorLayout.RowMajor, shape.Batch, shape.Height, shape.Width);
        BicubicResize.Forward(accelerator, small.View, large.View, TensorLayout.RowMajor, shape.Batch, 3, shape.Height, shape.Width, target.Height, target.Width);
        int plane = (int)target.Pixels;
        for (int n = 0; n < shape.Batch; n++)
        {
            var y = large.View.SubView(n * 3 * plane, plane);
            current.Run(y, current.Luminance.View, Layout);
            accelerator.Launch(plane, new CopyKernel { Source = current.Luminance.View, Destination = y });
        }
        if (layout == TensorLayout.RowMajor)
        {
            ColorConversion.YCbCrToRgb(accelerator, large.View, output, TensorLayout.RowMajor, shape.Batch, target.Height, target.Width);
        }
        else
        {
            ColorConversion.YCbCrToRgb(accelerator, large.View, large.View, TensorLayout.RowMajor, shape.Batch, target.Height, target.Width);
            ImageLayoutConversion.Convert(accelerator, large.View, TensorLayout.RowMajor, output, layout, shape.Batch, 3, target.Height, target.Width);
        }
        Elementwise.Clamp(accelerator, output, output, 0f, 1f);
    }

    private Plan PlanFor(int height, int width)
    {
        if (plan is not null && plan.Height == height && plan.Width == width)
            return plan;
        plan?.Dispose();
        plan = null;
        plan = new Plan(accelerator, Weights, Routing, Layout, height, width);
        return plan;
    }

    /// <summary>Frees the planned layers and buffers.</summary>
    public void Dispose()
    {
        disposed = true;
        plan?.Dispose();
        plan = null;
    }

    /// <summary>Layers and buffers for one image of H × W (images of a batch run one at a time, so
    /// the 64-channel activations of only one are ever held).</summary>
    private sealed class Plan : OwnedResources
    {
        private readonly RoutedConv2d first, last;
        private readonly RoutedConv2d[] middle;
        private readonly DeviceBuffer<float>[] pingPong;
        private (ImageShape Small, DeviceBuffer<float> SmallBuffer, DeviceBuffer<float> LargeBuffer)? colour;

        public Plan(Accelerator accelerator, VdsrWeights weights, LayerRouting routing, TensorLayout layout, int height, int width)
        {
            Height = height;
            Width = width;
            try
            {
                var relu = new Conv2dEpilogue(Activation: Activation.Relu);
                var stored = weights.StoredConvolutions;
                var scratch = Own(new ConvScratch(accelerator));
                var widths = weights.Widths;
                first = Own(new RoutedConv2d(accelerator, Conv2dShape.Same(1, 1, height, width, widths[0], 3), weights.Input, relu, stored[0], routing, layout, scratch));
                middle = [.. weights.Middle.Select((w, i) => Own(new RoutedConv2d(accelerator, Conv2dShape.Same(1, widths[i], height, width, widths[i + 1], 3), w, relu,
                    stored[i + 1], routing, layout, scratch)))];
                last = Own(new RoutedConv2d(accelerator, Conv2dShape.Same(1, widths[^1], height, width, 1, 3), weights.Output, null, stored[^1], routing, layout, scratch));
                // Sized for the widest layer; each layer uses the front of it.
                long activations = (long)widths.Max() * height * width;
                pingPong = [Own(accelerator.Allocate<float>(activations)), Own(accelerator.Allocate<float>(activations))];
                Luminance = Own(accelerator.Allocate<float>((long)height * width));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int Height { get; }

        public IReadOnlyList<RoutedConv2d> Convolutions => [first, .. middle, last];

        public int Width { get; }

        /// <summary>One image's network output before it replaces the upscaled Y.</summary>
        public DeviceBuffer<float> Luminance { get; } = null!;

        /// <summary>y → output = y + residual(y), one image; output must not be y.</summary>
        public void Run(ArrayView<float> y, ArrayView<float> output, TensorLayout layout)
        {
            first.Forward(y, Activations(0, first), layout);
            var x = Activations(0, first);
            for (int i = 0; i < middle.Length; i++)
            {
                var next = Activations((i + 1) % 2, middle[i]);
                middle[i].Forward(x, next, layout);
                x = next;
            }
            last.Forward(x, output, layout, residual: y);
        }

        // The front of a ping-pong buffer that holds one layer's output.
        private ArrayView<float> Activations(int buffer, RoutedConv2d layer) => pingPong[buffer].View.SubView(0, checked((int)layer.Shape.OutputLength));

        /// <summary>The YCbCr buffers at input and output size for a batch, kept while the shape repeats.</summary>
        public (DeviceBuffer<float> Small, DeviceBuffer<float> Large) Colour(Accelerator accelerator, ImageShape small, ImageShape large)
        {
            if (colour is not { } current || current.Small != small)
            {
                if (colour is { } stale)
                {
                    Free(stale.SmallBuffer);
                    Free(stale.LargeBuffer);
                    colour = null;
                }
                current = (small, Own(accelerator.Allocate<float>(small.Length)), Own(accelerator.Allocate<float>(large.Length)));
                colour = current;
            }
            return (current.SmallBuffer, current.LargeBuffer);
        }
    }
}
