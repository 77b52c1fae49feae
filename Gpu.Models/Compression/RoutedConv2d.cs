using Gpu.Core;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Models.Compression;

/// <summary>
/// A convolution layer that runs on whichever of its routes (<see cref="ConvRoute"/>) its
/// <see cref="LayerRouting"/> picks: dense on the decoded weights, or im2col followed by the sparse,
/// codebook or int8 product built straight from the tensor's compressed form. The compressed routes
/// keep the layer's fused epilogue (per-channel scale and shift, activation) and add a residual after
/// it as <see cref="Conv2d"/> does; they compute in NCHW, so in an NHWC network they convert the
/// layer's input and output through the shared <see cref="ConvScratch"/>, a cost their measured time includes.
/// </summary>
public sealed class RoutedConv2d : IDisposable
{
    /// <summary>Rows of the one image the routes are timed on: enough rows that the per-pixel cost
    /// shows, few enough that timing every route stays cheap next to planning a large frame.</summary>
    public const int ProbeRows = 32;

    private readonly Accelerator accelerator;
    private readonly ConvScratch scratch;
    private readonly Conv2d? dense;
    private readonly CompressedProduct? compressed;
    private readonly Dictionary<ConvRoute, double> measured = [];

    /// <summary>Builds the layer's route: <paramref name="routing"/> names it, or, when measured,
    /// each exact route is built and timed once on <paramref name="shape"/> in <paramref name="layout"/>.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="weights">(O, C, KH, KW) float32 weights, read (and so decoded) only by the dense route.</param>
    /// <param name="epilogue">Bias, folded affine and activation; null for none.</param>
    /// <param name="stored">The weights' compressed form, or null (then only the dense route exists).</param>
    /// <param name="routing">Which route to take.</param>
    /// <param name="layout">The layout the network runs in, which the measurement uses.</param>
    /// <param name="scratch">Memory shared with the network's other layers.</param>
    /// <exception cref="ArgumentException">The stored form's shape is not the layer's weight shape.</exception>
    /// <exception cref="InvalidDataException">The stored payload is corrupt.</exception>
    public RoutedConv2d(Accelerator accelerator, Conv2dShape shape, WeightValues weights, Conv2dEpilogue? epilogue, CompressedTensor? stored,
        LayerRouting routing, TensorLayout layout, ConvScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(scratch);
        var candidates = LayerRoutes.Candidates(routing, RoutesFor(stored, shape));
        shape.Validate();
        this.accelerator = accelerator;
        this.scratch = scratch;
        Shape = shape;
        epilogue ??= Conv2dEpilogue.None;
        Route = candidates.Length == 1 ? candidates[0] : Fastest(candidates, weights, epilogue, stored, layout);
        var layer = Build(Route, shape, weights, epilogue, stored);
        dense = layer as Conv2d;
        compressed = layer as CompressedProduct;
    }

    /// <summary>The geometry.</summary>
    public Conv2dShape Shape { get; }

    /// <summary>The route this layer runs.</summary>
    public ConvRoute Route { get; }

    /// <summary>Milliseconds of one run of each route timed by <see cref="LayerRouting.Measured"/> on
    /// the probe image (<see cref="ProbeRows"/> rows); empty when nothing was timed.</summary>
    public IReadOnlyDictionary<ConvRoute, double> MeasuredMilliseconds => measured;

    /// <summary>The routes a layer of <paramref name="shape"/> stored as <paramref name="stored"/> can
    /// take: dense always; sparse for a pruned tensor; codebook for a shared or pruned tensor; int8
    /// for an int8 tensor. im2col pads every side alike, so a layer with uneven padding stays dense.</summary>
    /// <exception cref="ArgumentException">The stored form's shape is not the layer's weight shape.</exception>
    public static IReadOnlyList<ConvRoute> RoutesFor(CompressedTensor? stored, Conv2dShape shape)
    {
        if (stored is null)
            return [ConvRoute.Dense];
        long[] expected = [shape.OutChannels, shape.InChannels, shape.KernelHeight, shape.KernelWidth];
        if (!stored.Shape.SequenceEqual(expected))
            throw new ArgumentException($"tensor '{stored.Name}' has shape [{string.Join(", ", stored.Shape)}]; the layer {shape} needs [{string.Join(", ", expected)}].", nameof(stored));
        var padding = shape.Padding;
        bool even = padding.Top == padding.Bottom && padding.Top == padding.Left && padding.Top == padding.Right;
        return even ? LayerRoutes.Offered(stored) : [ConvRoute.Dense];
    }

    /// <summary>Runs the layer: <c>output = act(conv(input)·scale + shift) [+ residual]</c>, as <see cref="Conv2d.Forward"/>.</summary>
    /// <param name="input">N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">N·O·H'·W' elements in <paramref name="layout"/>; must not overlap the input.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="residual">Added after the activation, shaped like the output; empty for none.</param>
    /// <exception cref="ArgumentException">A view has the wrong length or overlaps another.</exception>
    public void Forward(ArrayView<float> input, ArrayView<float> output, TensorLayout layout, ArrayView<float> residual = default)
    {
        if (dense is not null)
            dense.Forward(input, output, layout, residual);
        else
            ForwardCompressed(compressed!, Shape, input, output, layout, residual);
    }

    private void ForwardCompressed(CompressedProduct product, Conv2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout, ArrayView<float> residual)
    {
        if (input.Length != shape.InputLength || output.Length != shape.OutputLength || (residual.Length != 0 && residual.Length != shape.OutputLength))
            throw new ArgumentException($"{shape} needs {shape.InputLength} input and {shape.OutputLength} output (and residual) elements; got {input.Length}, {output.Length} and {residual.Length}.");
        if (input.Overlaps(output))
            throw new ArgumentException("The output must not overlap the input.", nameof(output));
        _ = ImageStrides.Of(layout, 1, 1, 1); // rejects layouts other than NCHW and NHWC before any launch
        var (n, c, h, w) = (shape.Batch, shape.InChannels, shape.Height, shape.Width);
        var (o, oh, ow) = (shape.OutChannels, shape.OutHeight, shape.OutWidth);
        var nchwInput = input;
        var nchwOutput = output;
        if (layout != TensorLayout.RowMajor)
        {
            nchwInput = scratch.Get(ScratchRegion.Input, shape.InputLength);
            nchwOutput = scratch.Get(ScratchRegion.Output, shape.OutputLength);
            ImageLayoutConversion.Convert(accelerator, input, layout, nchwInput, TensorLayout.RowMajor, n, c, h, w);
        }
        var geometry = Geometry(shape);
        var columns = scratch.Get(ScratchRegion.Columns, (long)geometry.PatchLength * geometry.OutputPositions);
        int inputSize = c * h * w, outputSize = o * oh * ow;
        for (int image = 0; image < n; image++)
        {
            Im2Col.Unfold(accelerator, geometry, nchwInput.SubView(image * inputSize, inputSize), columns);
            product.Multiply(columns, nchwOutput.SubView(image * outputSize, outputSize), geometry.OutputPositions, ProductOutput.Overwrite);
        }
        if (layout != TensorLayout.RowMajor)
            ImageLayoutConversion.Convert(accelerator, nchwOutput, TensorLayout.RowMajor, output, layout, n, o, oh, ow);
        if (residual.Length != 0)
            Elementwise.Add(accelerator, output, residual, output);
    }

    /// <summary>Frees the route's device memory.</summary>
    public void Dispose()
    {
        dense?.Dispose();
        compressed?.Dispose();
    }

    /// <summary>The convolution as im2col sees it.</summary>
    private static ConvGeometry Geometry(Conv2dShape shape)
        => new(shape.InChannels, shape.Height, shape.Width, shape.KernelHeight, shape.KernelWidth, shape.Stride, shape.Padding.Top, shape.Dilation);

    private IDisposable Build(ConvRoute route, Conv2dShape shape, WeightValues weights, Conv2dEpilogue epilogue, CompressedTensor? stored)
        => route == ConvRoute.Dense
            ? new Conv2d(accelerator, shape, weights.Values, epilogue)
            : CompressedProduct.Build(accelerator, route, stored!, shape.OutChannels, Geometry(shape).PatchLength, epilogue);

    /// <summary>Times each candidate on one image of up to <see cref="ProbeRows"/> rows at the layer's
    /// width, a constant input in the network's layout, and returns the fastest.</summary>
    private ConvRoute Fastest(ConvRoute[] candidates, WeightValues weights, Conv2dEpilogue epilogue, CompressedTensor? stored, TensorLayout layout)
    {
        var probe = Shape with { Batch = 1, Height = Math.Min(Shape.Height, ProbeRows) };
        using var input = accelerator.Allocate<float>(Enumerable.Repeat(0.5f, checked((int)probe.InputLength)).ToArray());
        using var output = accelerator.Allocate<float>(probe.OutputLength);
        return LayerRoutes.Fastest(accelerator, candidates, route => Build(route, probe, weights, epilogue, stored), layer =>
        {
            if (layer is CompressedProduct product)
                ForwardCompressed(product, probe, input.View, output.View, layout, default);
            else
                ((Conv2d)layer).Forward(input.View, output.View, layout);
        }, measured);
    }
}
