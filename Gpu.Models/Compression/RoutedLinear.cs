using Gpu.Core;
using Gpu.Ops.Gemm;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Models.Compression;

/// <summary>
/// A linear layer, <c>y (rows × Outputs) = x (rows × Inputs)·Wᵀ + bias</c>, that runs on whichever of
/// its routes its <see cref="LayerRouting"/> picks (the rule <see cref="RoutedConv2d"/> follows): dense,
/// the packed GEMM on the decoded weights; or the sparse, codebook or int8 product built straight
/// from the stored tensor. Those products take the activations column-major, so the compressed routes
/// transpose x into the shared <see cref="ConvScratch"/> and the result back (not for a single row, whose
/// row-major and column-major layouts are the same), a cost their measured time includes. As an
/// <see cref="IAccumulatingLinearProduct"/> it can stand in for an LSTM's input projection, or, built by
/// <see cref="Recurrent"/>, for its recurrent product.
/// </summary>
public sealed class RoutedLinear : IAccumulatingLinearProduct, IDisposable
{
    /// <summary>Rows the routes are timed on: a batch of one 100-pixel CRNN line has 26 steps, so
    /// this is the order of a typical call, and timing every route stays cheap at load.</summary>
    public const int ProbeRows = 32;

    private readonly Accelerator accelerator;
    private readonly ConvScratch scratch;
    private readonly IDisposable layer;
    private readonly Dictionary<ConvRoute, double> measured = [];

    /// <summary>Builds the layer's route: <paramref name="routing"/> names it, or, when measured,
    /// each exact route is built and timed once on <see cref="ProbeRows"/> rows.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="shape">The widths.</param>
    /// <param name="weights">Outputs × Inputs float32 weights, read (and so decoded) only by the dense route.</param>
    /// <param name="bias">Outputs biases (the sum of both biases for an LSTM's gates).</param>
    /// <param name="stored">The weights' compressed form, or null (then only the dense route exists).</param>
    /// <param name="routing">Which route to take.</param>
    /// <param name="scratch">Memory shared with the network's other layers.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape, or the stored form's shape is not [Outputs, Inputs].</exception>
    /// <exception cref="InvalidDataException">The stored payload is corrupt.</exception>
    public RoutedLinear(Accelerator accelerator, LinearShape shape, WeightValues weights, float[] bias, CompressedTensor? stored, LayerRouting routing, ConvScratch scratch)
        : this(accelerator, shape, weights, bias ?? throw new ArgumentNullException(nameof(bias)), stored, routing, scratch, new Probe(ProbeRows, ProductOutput.Overwrite))
    {
    }

    /// <summary>How a measured routing times each route: on how many rows, overwriting or adding to the output.</summary>
    private readonly record struct Probe(int Rows, ProductOutput Output);

    private RoutedLinear(Accelerator accelerator, LinearShape shape, WeightValues weights, float[]? bias, CompressedTensor? stored, LayerRouting routing, ConvScratch scratch,
        Probe probe)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(scratch);
        shape.Validate();
        if (weights.Length != shape.WeightLength || (bias is not null && bias.Length != shape.Outputs))
            throw new ArgumentException($"A {shape} needs {shape.WeightLength} weights and {shape.Outputs} biases; got {weights.Length} and {bias?.Length}.");
        var candidates = LayerRoutes.Candidates(routing, RoutesFor(stored, shape));
        this.accelerator = accelerator;
        this.scratch = scratch;
        Shape = shape;
        var epilogue = new Conv2dEpilogue(Bias: bias);
        IDisposable Build(ConvRoute route) => route == ConvRoute.Dense
            ? new DenseLinear(accelerator, shape, weights.Values, bias)
            : CompressedProduct.Build(accelerator, route, stored!, shape.Outputs, shape.Inputs, epilogue);
        if (candidates.Length > 1)
        {
            using var input = accelerator.Allocate<float>(Enumerable.Repeat(0.5f, checked(probe.Rows * shape.Inputs)).ToArray());
            using var output = accelerator.Allocate<float>((long)probe.Rows * shape.Outputs);
            Route = LayerRoutes.Fastest(accelerator, candidates, Build, route => Run(route, input.View, output.View, probe.Rows, probe.Output), measured);
        }
        else
        {
            Route = candidates[0];
        }
        layer = Build(Route);
    }

    /// <summary>Builds an LSTM's recurrent product, <c>gates += h·W_hhᵀ</c>, with no bias (both of the
    /// LSTM's biases are in its input projection); when measured, each route is timed as it then runs:
    /// adding one step of one sequence into the gates.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="shape">The widths: the LSTM's output size in, 4·hidden out.</param>
    /// <param name="weights">Outputs × Inputs float32 weights, read (and so decoded) only by the dense route.</param>
    /// <param name="stored">The weights' compressed form, or null (then only the dense route exists).</param>
    /// <param name="routing">Which route to take.</param>
    /// <param name="scratch">Memory shared with the network's other layers.</param>
    /// <returns>The product, which <see cref="MultiplyAdd"/> runs.</returns>
    /// <exception cref="ArgumentException">A length disagrees with the shape, or the stored form's shape is not [Outputs, Inputs].</exception>
    /// <exception cref="InvalidDataException">The stored payload is corrupt.</exception>
    public static RoutedLinear Recurrent(Accelerator accelerator, LinearShape shape, WeightValues weights, CompressedTensor? stored, LayerRouting routing, ConvScratch scratch)
        => new(accelerator, shape, weights, null, stored, routing, scratch, new Probe(1, ProductOutput.Accumulate));

    /// <summary>The widths.</summary>
    public LinearShape Shape { get; }

    /// <inheritdoc/>
    public int Inputs => Shape.Inputs;

    /// <inheritdoc/>
    public int Outputs => Shape.Outputs;

    /// <summary>The route this layer runs.</summary>
    public ConvRoute Route { get; }

    /// <summary>Milliseconds of one run of each route timed by <see cref="LayerRouting.Measured"/> (on
    /// <see cref="ProbeRows"/> rows, or one accumulating row for a <see cref="Recurrent"/> product); empty when nothing was timed.</summary>
    public IReadOnlyDictionary<ConvRoute, double> MeasuredMilliseconds => measured;

    /// <summary>The routes a layer of <paramref name="shape"/> stored as <paramref name="stored"/> can take (as <see cref="RoutedConv2d.RoutesFor"/>).</summary>
    /// <exception cref="ArgumentException">The stored form's shape is not [Outputs, Inputs].</exception>
    public static IReadOnlyList<ConvRoute> RoutesFor(CompressedTensor? stored, LinearShape shape)
    {
        if (stored is not null && !stored.Shape.SequenceEqual([shape.Outputs, shape.Inputs]))
            throw new ArgumentException($"tensor '{stored.Name}' has shape [{string.Join(", ", stored.Shape)}]; the {shape} needs [{shape.Outputs}, {shape.Inputs}].", nameof(stored));
        return LayerRoutes.Offered(stored);
    }

    /// <inheritdoc/>
    public void Multiply(ArrayView<float> x, ArrayView<float> y, int rows) => Run(layer, x, y, rows, ProductOutput.Overwrite);

    /// <inheritdoc/>
    public void MultiplyAdd(ArrayView<float> x, ArrayView<float> y, int rows) => Run(layer, x, y, rows, ProductOutput.Accumulate);

    /// <summary>Frees the route's device memory.</summary>
    public void Dispose() => layer.Dispose();

    private void Run(IDisposable route, ArrayView<float> x, ArrayView<float> y, int rows, ProductOutput output)
    {
        var (k, m) = (Shape.Inputs, Shape.Outputs);
        if (rows <= 0 || x.Length != (long)rows * k || y.Length != (long)rows * m)
            throw new ArgumentException($"{rows} rows of a {Shape} need {(long)rows * k} input and {(long)rows * m} output elements; got {x.Length} and {y.Length}.");
        if (x.Overlaps(y))
            throw new ArgumentException("The output must not overlap the input.", nameof(y));
        if (route is DenseLinear dense)
        {
            dense.Multiply(x, y, rows, output);
            return;
        }
        var compressed = (CompressedProduct)route;
        if (rows == 1)
        {
            // One row of K is also a K × 1 column: nothing to transpose, so the product writes (or adds into) y itself.
            compressed.Multiply(x, y, 1, output);
            return;
        }
        // rows × K row-major is the NHWC layout of a 1 × K × 1 × rows image, and K × rows its NCHW layout.
        var columns = scratch.Get(ScratchRegion.Input, (long)k * rows);
        var product = scratch.Get(ScratchRegion.Output, (long)m * rows);
        ImageLayoutConversion.Convert(accelerator, x, TensorLayout.Nhwc, columns, TensorLayout.RowMajor, 1, k, 1, rows);
        if (output == ProductOutput.Accumulate)
            ImageLayoutConversion.Convert(accelerator, y, TensorLayout.Nhwc, product, TensorLayout.RowMajor, 1, m, 1, rows);
        compressed.Multiply(columns, product, rows, output);
        ImageLayoutConversion.Convert(accelerator, product, TensorLayout.RowMajor, y, TensorLayout.Nhwc, 1, m, 1, rows);
    }

    /// <summary>The dense route: the decoded weights packed once for the GEMM, the bias (if any) in its epilogue.</summary>
    private sealed class DenseLinear : IDisposable
    {
        private readonly Accelerator accelerator;
        private readonly LinearShape shape;
        private readonly DeviceBuffer<float> weights;
        private readonly DeviceBuffer<float>? bias;
        private readonly PackedGemmWeights packed;

        public DenseLinear(Accelerator accelerator, LinearShape shape, float[] hostWeights, float[]? hostBias)
        {
            this.accelerator = accelerator;
            this.shape = shape;
            weights = accelerator.Allocate<float>(hostWeights);
            bias = hostBias is null ? null : accelerator.Allocate<float>(hostBias);
            packed = DenseGemm.PackB(accelerator, Gemm(1), weights.View);
        }

        public void Multiply(ArrayView<float> x, ArrayView<float> y, int rows, ProductOutput output)
            => DenseGemm.Multiply(accelerator, Gemm(rows), x, packed, y, beta: output == ProductOutput.Accumulate ? 1f : 0f, bias: bias?.View ?? default);

        public void Dispose()
        {
            packed.Dispose();
            weights.Dispose();
            bias?.Dispose();
        }

        private GemmShape Gemm(int rows) => new(rows, shape.Outputs, shape.Inputs, TransposeB: true);
    }
}
