using Gpu.Core;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Ops.Sequence;

/// <summary>An LSTM or LSTMP network (PyTorch's <c>nn.LSTM</c>, optionally with peepholes) on a
/// device. Per layer and direction, one GEMM computes the input projections of every step with
/// both biases in its epilogue; then each step adds the recurrent product into that step's gates
/// (a GEMM with β = 1), runs the fused cell update, and with a projection one more small GEMM. A caller
/// may give either product in another form (sparse, quantized) through <see cref="ILinearProduct"/>.
/// Sequences are time-major: input T × B × input size, output T × B × directions·output size.</summary>
public sealed class Lstm : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly DirectionWeights[,] parameters;
    private readonly DeviceBuffer<float> noPeepholes;
    private readonly Workspace[] gates;
    private readonly Workspace[] directionOutputs;
    private readonly Workspace[] layerOutputs;
    private readonly Workspace[] cellStates;
    private readonly Workspace cellOutputs;
    /// <summary>Per layer and direction, the recurrent and projection weights prepared once for the
    /// per-step GEMMs (packed on the CPU, so 2·T products do not re-pack them); the recurrent one is null
    /// where a caller's product replaces it.</summary>
    private readonly PackedGemmWeights?[,] packedRecurrent;
    /// <summary>Per layer and direction, the dense input weight prepared once (on an OpenCL CPU runtime
    /// stored transposed, so each forward pass does not transpose it again), or null where a caller's
    /// product replaces it.</summary>
    private readonly PackedGemmWeights?[,] packedInput;
    private readonly PackedGemmWeights?[,] packedProjection;
    /// <summary>Per layer and direction, the caller's product replacing the dense input GEMM, or null.</summary>
    private readonly ILinearProduct?[,] callerProducts;
    /// <summary>Per layer and direction, the caller's product replacing the dense recurrent GEMM, or null.</summary>
    private readonly IAccumulatingLinearProduct?[,] callerRecurrentProducts;

    /// <summary>The dense input weight and the summed biases are null where a caller's product replaces
    /// them, the dense recurrent weight where a caller's recurrent product does.</summary>
    private sealed record DirectionWeights(DeviceBuffer<float>? InputWeight, DeviceBuffer<float>? RecurrentWeight, DeviceBuffer<float>? Bias,
        DeviceBuffer<float>? Projection, DeviceBuffer<float>? PeepholeInput, DeviceBuffer<float>? PeepholeForget, DeviceBuffer<float>? PeepholeOutput)
    {
        public IEnumerable<DeviceBuffer<float>> Buffers =>
            new[] { InputWeight, RecurrentWeight, Bias, Projection, PeepholeInput, PeepholeForget, PeepholeOutput }.OfType<DeviceBuffer<float>>();
    }

    /// <summary>Uploads the weights.</summary>
    /// <param name="accelerator">The device to run on.</param>
    /// <param name="options">The network's shape.</param>
    /// <param name="weights">Weights by PyTorch name (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, …; see <see cref="LstmOptions.WeightNames"/>).</param>
    /// <exception cref="ArgumentException">A weight is missing or has the wrong size.</exception>
    public Lstm(Accelerator accelerator, LstmOptions options, IReadOnlyDictionary<string, float[]> weights)
        : this(accelerator, options, weights, [])
    {
    }

    /// <summary>Uploads the weights, with the input projections of some layers and directions
    /// computed by the caller's products (sparse or quantized forms of <c>weight_ih</c>) instead of
    /// the dense GEMM; the recurrent products stay dense.</summary>
    /// <param name="accelerator">The device to run on.</param>
    /// <param name="options">The network's shape.</param>
    /// <param name="weights">Weights by PyTorch name, as for the other constructor; <c>weight_ih</c> may
    /// be left out for a layer and direction whose input product is given, since it is never read.</param>
    /// <param name="inputProducts">Empty for none, or one entry per layer and direction (index
    /// layer · directions + direction): a product of the layer's input size to 4·hidden outputs
    /// that adds <c>bias_ih + bias_hh</c> itself, or null for the dense GEMM. The caller keeps
    /// ownership; each must outlive the network.</param>
    /// <exception cref="ArgumentException">A weight is missing or has the wrong size, or a product has the wrong count or width.</exception>
    public Lstm(Accelerator accelerator, LstmOptions options, IReadOnlyDictionary<string, float[]> weights, IReadOnlyList<ILinearProduct?> inputProducts)
        : this(accelerator, options, weights, inputProducts, [])
    {
    }

    /// <summary>Uploads the weights, with the input projections and the recurrent products of some layers
    /// and directions computed by the caller's products (sparse or quantized forms of <c>weight_ih</c> and
    /// <c>weight_hh</c>) instead of the dense GEMMs.</summary>
    /// <param name="accelerator">The device to run on.</param>
    /// <param name="options">The network's shape.</param>
    /// <param name="weights">Weights by PyTorch name, as for the first constructor; <c>weight_ih</c> and
    /// <c>weight_hh</c> may be left out for a layer and direction whose product is given, since they are never read.</param>
    /// <param name="inputProducts">As for the previous constructor.</param>
    /// <param name="recurrentProducts">Empty for none, or one entry per layer and direction (index layer ·
    /// directions + direction): a product of the output size to 4·hidden outputs that adds no bias
    /// (both biases are in the input projection) and adds its result into the gates, or null for the
    /// dense GEMM. The caller keeps ownership; each must outlive the network.</param>
    /// <exception cref="ArgumentException">A weight is missing or has the wrong size, or a product has the wrong count or width.</exception>
    public Lstm(Accelerator accelerator, LstmOptions options, IReadOnlyDictionary<string, float[]> weights, IReadOnlyList<ILinearProduct?> inputProducts,
        IReadOnlyList<IAccumulatingLinearProduct?> recurrentProducts)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(inputProducts);
        ArgumentNullException.ThrowIfNull(recurrentProducts);
        options.Validate();
        int directions = options.Directions;
        foreach (var (count, name) in (ReadOnlySpan<(int, string)>)[(inputProducts.Count, nameof(inputProducts)), (recurrentProducts.Count, nameof(recurrentProducts))])
            if (count != 0 && count != options.Layers * directions)
                throw new ArgumentException($"Give no products or one per layer and direction ({options.Layers * directions}); got {count}.", name);
        this.accelerator = accelerator;
        Options = options;
        TProduct? Given<TProduct>(IReadOnlyList<TProduct?> products, int layer, int direction) where TProduct : class, ILinearProduct
            => products.Count == 0 ? null : products[layer * directions + direction];
        bool Replaced(string weight, int layer, int direction)
            => (weight == LstmOptions.Name("weight_ih", layer, direction) && Given(inputProducts, layer, direction) is not null)
               || (weight == LstmOptions.Name("weight_hh", layer, direction) && Given(recurrentProducts, layer, direction) is not null);
        foreach (var (name, length) in Enumerable.Range(0, options.Layers)
                     .SelectMany(layer => Enumerable.Range(0, directions).SelectMany(direction => options.WeightNames(layer, direction)
                         .Where(w => !Replaced(w.Name, layer, direction)))))
            NamedWeights.Get(weights, name, length);

        int h = options.HiddenSize;
        noPeepholes = accelerator.Allocate<float>(new float[h]);
        parameters = new DirectionWeights[options.Layers, options.Directions];
        packedRecurrent = new PackedGemmWeights?[options.Layers, options.Directions];
        packedInput = new PackedGemmWeights?[options.Layers, options.Directions];
        packedProjection = new PackedGemmWeights?[options.Layers, options.Directions];
        callerProducts = new ILinearProduct?[options.Layers, options.Directions];
        callerRecurrentProducts = new IAccumulatingLinearProduct?[options.Layers, options.Directions];
        for (int layer = 0; layer < options.Layers; layer++)
            for (int direction = 0; direction < options.Directions; direction++)
            {
                var product = Given(inputProducts, layer, direction);
                var recurrentProduct = Given(recurrentProducts, layer, direction);
                foreach (var (given, inputs, kind, parameter) in (ReadOnlySpan<(ILinearProduct?, int, string, string)>)
                             [(product, options.LayerInputSize(layer), "input", nameof(inputProducts)), (recurrentProduct, options.OutputSize, "recurrent", nameof(recurrentProducts))])
                    if (given is not null && (given.Inputs != inputs || given.Outputs != 4 * h))
                        throw new ArgumentException($"The {kind} product of layer {layer}, direction {direction} maps " +
                            $"{given.Inputs} to {given.Outputs} features; {inputs} to {4 * h} are needed.", parameter);
                callerProducts[layer, direction] = product;
                callerRecurrentProducts[layer, direction] = recurrentProduct;
                DeviceBuffer<float> Upload(string parameter) => accelerator.Allocate<float>(weights[LstmOptions.Name(parameter, layer, direction)]);
                var bias = weights[LstmOptions.Name("bias_ih", layer, direction)]
                    .Zip(weights[LstmOptions.Name("bias_hh", layer, direction)], (a, b) => a + b).ToArray();
                parameters[layer, direction] = new DirectionWeights(product is null ? Upload("weight_ih") : null, recurrentProduct is null ? Upload("weight_hh") : null,
                    product is null ? accelerator.Allocate<float>(bias) : null,
                    options.ProjectionSize > 0 ? Upload("weight_hr") : null,
                    options.Peepholes ? Upload("weight_ic") : null, options.Peepholes ? Upload("weight_fc") : null, options.Peepholes ? Upload("weight_oc") : null);
                // M (the batch, or steps × batch) is not known yet and packing does not depend on it.
                if (parameters[layer, direction].InputWeight is { } inputWeight)
                    packedInput[layer, direction] = DenseGemm.PackB(accelerator,
                        new GemmShape(1, 4 * h, options.LayerInputSize(layer), TransposeB: true), inputWeight.View);
                if (parameters[layer, direction].RecurrentWeight is { } recurrentWeight)
                    packedRecurrent[layer, direction] = DenseGemm.PackB(accelerator,
                        new GemmShape(1, 4 * h, options.OutputSize, TransposeB: true), recurrentWeight.View);
                if (parameters[layer, direction].Projection is { } projection)
                    packedProjection[layer, direction] = DenseGemm.PackB(accelerator,
                        new GemmShape(1, options.ProjectionSize, h, TransposeB: true), projection.View);
            }
        gates = [.. Enumerable.Range(0, options.Directions).Select(_ => new Workspace(accelerator))];
        directionOutputs = [.. Enumerable.Range(0, options.Directions).Select(_ => new Workspace(accelerator))];
        cellStates = [.. Enumerable.Range(0, options.Directions).Select(_ => new Workspace(accelerator))];
        layerOutputs = [new Workspace(accelerator), new Workspace(accelerator)];
        cellOutputs = new Workspace(accelerator);
    }

    /// <summary>The network's shape.</summary>
    public LstmOptions Options { get; }

    /// <summary>Run the portable cell kernel even where the CPU SIMD path exists (to test and compare both).</summary>
    public bool PreferPortableKernels { get; set; }

    /// <summary>Floating-point operations of one forward pass: the GEMMs plus the cell updates.</summary>
    /// <param name="steps">Time steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <returns>The count.</returns>
    public double Flops(int steps, int batch)
    {
        int h = Options.HiddenSize, r = Options.OutputSize;
        double perDirection = 0;
        for (int layer = 0; layer < Options.Layers; layer++)
            perDirection += 2.0 * steps * batch * 4 * h * (Options.LayerInputSize(layer) + r)
                + (Options.ProjectionSize > 0 ? 2.0 * steps * batch * h * r : 0) + 20.0 * steps * batch * h;
        return perDirection * Options.Directions;
    }

    /// <summary>Runs the network.</summary>
    /// <param name="input">T × B × input size.</param>
    /// <param name="steps">Time steps T.</param>
    /// <param name="batch">Sequences B.</param>
    /// <param name="output">T × B × directions·output size: the last layer's outputs.</param>
    /// <param name="initialHidden">layers·directions × B × output size (PyTorch's h0), or empty for zeros.</param>
    /// <param name="initialCell">layers·directions × B × n_c (c0), or empty for zeros.</param>
    /// <param name="finalHidden">Receives h_n (shaped like h0), or empty.</param>
    /// <param name="finalCell">Receives c_n (shaped like c0), or empty.</param>
    /// <exception cref="ArgumentException">A dimension is not positive, a view has the wrong length or
    /// belongs to another accelerator, or an output shares memory with an input (states may be updated exactly in place).</exception>
    /// <exception cref="ObjectDisposedException">A view's buffer or the accelerator is disposed.</exception>
    public void Forward(ArrayView<float> input, int steps, int batch, ArrayView<float> output,
        ArrayView<float> initialHidden = default, ArrayView<float> initialCell = default, ArrayView<float> finalHidden = default, ArrayView<float> finalCell = default)
    {
        if (steps <= 0 || batch <= 0)
            throw new ArgumentException($"LSTM needs positive steps and batch, got {steps} and {batch}.");
        int h = Options.HiddenSize, r = Options.OutputSize, directions = Options.Directions;
        long rows = (long)steps * batch;
        long hiddenStates = (long)Options.Layers * directions * batch * r, cellStatesLength = (long)Options.Layers * directions * batch * h;
        SequenceViews.Require("LSTM", "input", input.Length, rows * Options.InputSize);
        SequenceViews.Require("LSTM", "output", output.Length, rows * directions * r);
        SequenceViews.Require("LSTM", "initial hidden", initialHidden.Length, hiddenStates, optional: true);
        SequenceViews.Require("LSTM", "initial cell", initialCell.Length, cellStatesLength, optional: true);
        SequenceViews.Require("LSTM", "final hidden", finalHidden.Length, hiddenStates, optional: true);
        SequenceViews.Require("LSTM", "final cell", finalCell.Length, cellStatesLength, optional: true);
        if (rows * 4 * h > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(steps), $"{steps} steps × {batch} sequences × 4·{h} gates is {rows * 4 * h} values; at most {int.MaxValue} fit one workspace.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        accelerator.CheckView(initialHidden);
        accelerator.CheckView(initialCell);
        accelerator.CheckView(finalHidden);
        accelerator.CheckView(finalCell);
        OperandChecks.Disjoint(input, output);
        foreach (var (state, name) in (ReadOnlySpan<(ArrayView<float>, string)>)[(initialHidden, nameof(initialHidden)), (initialCell, nameof(initialCell)), (finalHidden, nameof(finalHidden)), (finalCell, nameof(finalCell))])
        {
            OperandChecks.Disjoint(input, state, nameof(input), name);
            OperandChecks.Disjoint(output, state, nameof(output), name);
        }
        // Each state is read before the pass that overwrites it, by layer and direction.
        OperandChecks.DisjointOrSame(initialHidden, finalHidden);
        OperandChecks.DisjointOrSame(initialCell, finalCell);
        OperandChecks.Disjoint(initialHidden, initialCell);
        OperandChecks.Disjoint(finalHidden, finalCell);

        var layerInput = input;
        for (int layer = 0; layer < Options.Layers; layer++)
        {
            var layerOutput = layer == Options.Layers - 1 ? output : layerOutputs[layer % 2].Get(rows * directions * r);
            for (int direction = 0; direction < directions; direction++)
            {
                int state = layer * directions + direction;
                var directionOutput = directions == 1 ? layerOutput : directionOutputs[direction].Get(rows * r);
                RunDirection(layer, direction, layerInput, directionOutput, steps, batch,
                    initialHidden.Length != 0 ? initialHidden.SubView(state * batch * r, batch * r) : default,
                    initialCell.Length != 0 ? initialCell.SubView(state * batch * h, batch * h) : default,
                    finalCell.Length != 0 ? finalCell.SubView(state * batch * h, batch * h) : cellStates[direction].Get(batch * h));
                if (finalHidden.Length != 0)
                {
                    int lastStep = direction == 0 ? steps - 1 : 0;
                    accelerator.Launch(batch * r, new Image.CopyKernel
                    {
                        Source = directionOutput.SubView(lastStep * batch * r, batch * r),
                        Destination = finalHidden.SubView(state * batch * r, batch * r),
                    });
                }
            }
            if (directions == 2)
                accelerator.Launch(2 * r, (int)rows, new ConcatenateDirectionsKernel
                {
                    Forward = directionOutputs[0].Get(rows * r), Backward = directionOutputs[1].Get(rows * r),
                    Output = layerOutput, Width = r,
                });
            layerInput = layerOutput;
        }
    }

    /// <summary>One layer in one direction: the input GEMM for all steps, then the steps in order.</summary>
    private void RunDirection(int layer, int direction, ArrayView<float> layerInput, ArrayView<float> directionOutput, int steps, int batch,
        ArrayView<float> initialHidden, ArrayView<float> initialCell, ArrayView<float> cell)
    {
        int h = Options.HiddenSize, r = Options.OutputSize, n = Options.LayerInputSize(layer);
        var weights = parameters[layer, direction];
        var stepGates = gates[direction].Get((long)steps * batch * 4 * h);
        if (callerProducts[layer, direction] is { } product)
            product.Multiply(layerInput, stepGates, steps * batch);
        else
            DenseGemm.Multiply(accelerator, new GemmShape(steps * batch, 4 * h, n, TransposeB: true), layerInput, packedInput[layer, direction]!, stepGates,
                bias: weights.Bias!.View);
        var cellOutput = Options.ProjectionSize > 0 ? cellOutputs.Get((long)batch * h) : default;
        var recurrent = new GemmShape(batch, 4 * h, r, TransposeB: true);
        for (int s = 0; s < steps; s++)
        {
            int t = direction == 0 ? s : steps - 1 - s;
            int previousStep = direction == 0 ? t - 1 : t + 1;
            var gatesNow = stepGates.SubView(t * batch * 4 * h, batch * 4 * h);
            var previousHidden = s > 0 ? directionOutput.SubView(previousStep * batch * r, batch * r) : initialHidden;
            // A zero h0 contributes nothing: the first step then needs no recurrent product.
            if (previousHidden.Length != 0)
            {
                if (callerRecurrentProducts[layer, direction] is { } recurrentProduct)
                    recurrentProduct.MultiplyAdd(previousHidden, gatesNow, batch);
                else
                    DenseGemm.Multiply(accelerator, recurrent, previousHidden, packedRecurrent[layer, direction]!, gatesNow, beta: 1f);
            }
            var hiddenNow = directionOutput.SubView(t * batch * r, batch * r);
            var kernel = new LstmCellKernel
            {
                Gates = gatesNow,
                PreviousCell = (s == 0 && initialCell.Length != 0 ? initialCell : cell),
                Cell = cell,
                Hidden = (Options.ProjectionSize > 0 ? cellOutput : hiddenNow),
                PeepholeInput = (weights.PeepholeInput ?? noPeepholes).View,
                PeepholeForget = (weights.PeepholeForget ?? noPeepholes).View,
                PeepholeOutput = (weights.PeepholeOutput ?? noPeepholes).View,
                Cells = h,
                ZeroPrevious = s == 0 && initialCell.Length == 0 ? 1 : 0,
            };
            if (accelerator.IsHostAddressable() && !PreferPortableKernels)
                LstmCpuCell.Run(kernel, batch, accelerator);
            else if (accelerator.Device.PrefersBarrierFreeSchedule())
                accelerator.Launch(h, batch, new LstmCellRowsKernel { Cell = kernel });
            else
                accelerator.Launch(batch * h, kernel);
            if (packedProjection[layer, direction] is { } projection)
                DenseGemm.Multiply(accelerator, new GemmShape(batch, r, h, TransposeB: true), cellOutput, projection, hiddenNow);
        }
    }

    /// <summary>Frees the weights and workspaces.</summary>
    public void Dispose()
    {
        foreach (var packed in packedRecurrent.Cast<PackedGemmWeights?>().Concat(packedInput.Cast<PackedGemmWeights?>())
                     .Concat(packedProjection.Cast<PackedGemmWeights?>()).OfType<PackedGemmWeights>())
            packed.Dispose();
        foreach (var weights in parameters)
            foreach (var buffer in weights.Buffers)
                buffer.Dispose();
        noPeepholes.Dispose();
        foreach (var workspace in gates.Concat(directionOutputs).Concat(layerOutputs).Concat(cellStates).Append(cellOutputs))
            workspace.Dispose();
    }
}
