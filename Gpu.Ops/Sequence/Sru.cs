using Gpu.Core;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Ops.Sequence;

/// <summary>A simple recurrent unit layer (Lei et al.) on a device. One GEMM computes U = X·W for
/// every step and both directions at once, its epilogue adding the forget and reset biases; then
/// the fused element-wise recurrence runs one thread per (direction, sequence, hidden column), 16
/// adjacent columns per thread on OpenCL runtimes on a host CPU, or on the CPU the SIMD fast path. Sequences are time-major: input T × B × n, output
/// T × B × directions·d.</summary>
public sealed class Sru : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly DeviceBuffer<float> weight;
    /// <summary>The weight packed once (on the CPU), so a forward pass does not re-pack n × k·d floats.</summary>
    private readonly PackedGemmWeights packedWeight;
    private readonly DeviceBuffer<float> gateBias;
    private readonly DeviceBuffer<float> forgetWeights;
    private readonly DeviceBuffer<float> resetWeights;
    private readonly Workspace projections;
    private readonly Workspace cellScratch;

    /// <summary>Uploads the weights of one layer.</summary>
    /// <param name="accelerator">The device to run on.</param>
    /// <param name="options">The layer's shape.</param>
    /// <param name="weights">Weights by name (see <see cref="SruOptions.WeightNames"/>).</param>
    /// <exception cref="ArgumentException">A weight is missing or has the wrong size.</exception>
    public Sru(Accelerator accelerator, SruOptions options, IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        options.Validate();
        this.accelerator = accelerator;
        Options = options;
        int n = options.InputSize, d = options.HiddenSize, k = options.Blocks, directions = options.Directions;
        int columns = directions * k * d;
        var combined = new float[n * columns];
        var bias = new float[columns];
        var vf = new float[directions * d];
        var vr = new float[directions * d];
        for (int direction = 0; direction < directions; direction++)
        {
            string suffix = direction == 1 ? "_reverse" : "";
            var w = NamedWeights.Get(weights, "weight" + suffix, n * k * d);
            for (int i = 0; i < n; i++)
                w.AsSpan(i * k * d, k * d).CopyTo(combined.AsSpan(i * columns + direction * k * d));
            NamedWeights.Get(weights, "bias_f" + suffix, d).CopyTo(bias, direction * k * d + d);
            NamedWeights.Get(weights, "bias_r" + suffix, d).CopyTo(bias, direction * k * d + 2 * d);
            NamedWeights.GetOrZeros(weights, "v_f" + suffix, d, options.RecurrentWeights).CopyTo(vf, direction * d);
            NamedWeights.GetOrZeros(weights, "v_r" + suffix, d, options.RecurrentWeights).CopyTo(vr, direction * d);
        }
        weight = accelerator.Allocate<float>(combined);
        // M (steps × batch) is not known yet and packing does not depend on it.
        packedWeight = DenseGemm.PackB(accelerator, new GemmShape(1, columns, n), weight.View);
        gateBias = accelerator.Allocate<float>(bias);
        forgetWeights = accelerator.Allocate<float>(vf);
        resetWeights = accelerator.Allocate<float>(vr);
        projections = new Workspace(accelerator);
        cellScratch = new Workspace(accelerator);
    }

    /// <summary>The layer's shape.</summary>
    public SruOptions Options { get; }

    /// <summary>Run the portable kernel even where the CPU SIMD path exists (to test and compare both).</summary>
    public bool PreferPortableKernels { get; set; }

    /// <summary>Floating-point operations of one forward pass (the GEMM dominates).</summary>
    /// <param name="steps">Time steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <returns>The count.</returns>
    public double Flops(int steps, int batch)
        => new GemmShape(steps * batch, Options.Directions * Options.Blocks * Options.HiddenSize, Options.InputSize).Flops
            + 12.0 * steps * batch * Options.Directions * Options.HiddenSize;

    /// <summary>Runs the layer.</summary>
    /// <param name="input">T × B × n.</param>
    /// <param name="steps">Time steps T.</param>
    /// <param name="batch">Sequences B.</param>
    /// <param name="output">T × B × directions·d.</param>
    /// <param name="initialCell">directions × B × d, or an empty view for zeros.</param>
    /// <param name="finalCell">directions × B × d receiving the last cell state, or an empty view.</param>
    /// <exception cref="ArgumentException">A dimension is not positive, a view has the wrong length or
    /// belongs to another accelerator, or the output shares memory with an input.</exception>
    /// <exception cref="ObjectDisposedException">A view's buffer or the accelerator is disposed.</exception>
    public void Forward(ArrayView<float> input, int steps, int batch, ArrayView<float> output, ArrayView<float> initialCell = default, ArrayView<float> finalCell = default)
    {
        int n = Options.InputSize, d = Options.HiddenSize, k = Options.Blocks, directions = Options.Directions;
        if (steps <= 0 || batch <= 0)
            throw new ArgumentException($"SRU needs positive steps and batch, got {steps} and {batch}.");
        long rows = (long)steps * batch, state = (long)directions * batch * d;
        int columns = directions * k * d;
        if (rows * columns > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(steps), $"{steps} steps × {batch} sequences × {columns} gate columns is {rows * columns} projections; at most {int.MaxValue} fit one workspace.");
        SequenceViews.Require("SRU", "input", input.Length, rows * n);
        SequenceViews.Require("SRU", "output", output.Length, rows * directions * d);
        SequenceViews.Require("SRU", "initial cell", initialCell.Length, state, optional: true);
        SequenceViews.Require("SRU", "final cell", finalCell.Length, state, optional: true);
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        accelerator.CheckView(initialCell);
        accelerator.CheckView(finalCell);
        OperandChecks.Disjoint(input, output);
        OperandChecks.Disjoint(initialCell, output);
        OperandChecks.Disjoint(input, finalCell);
        OperandChecks.Disjoint(output, finalCell);
        // Each cell is read once at the first step and written once after the last, by the same thread.
        OperandChecks.DisjointOrSame(initialCell, finalCell);

        var u = projections.Get(rows * columns);
        var scratch = cellScratch.Get(state);
        DenseGemm.Multiply(accelerator, new GemmShape((int)rows, columns, n), input, packedWeight, u, bias: gateBias.View);
        var kernel = new SruRecurrenceKernel
        {
            Projections = u, Input = input, Output = output,
            InitialCell = (initialCell.Length != 0 ? initialCell : scratch),
            FinalCell = (finalCell.Length != 0 ? finalCell : scratch),
            ForgetWeights = forgetWeights.View, ResetWeights = resetWeights.View,
            Steps = steps, Batch = batch, Hidden = d, InputSize = n, Directions = directions, Blocks = k,
            HasInitialCell = initialCell.Length != 0 ? 1 : 0, Tanh = Options.TanhActivation ? 1 : 0,
        };
        if (accelerator.IsHostAddressable() && !PreferPortableKernels)
            SruCpuRecurrence.Run(kernel, accelerator);
        else if (accelerator.Device.PrefersBarrierFreeSchedule())
            SruRecurrenceSegmentKernel.Launch(accelerator, kernel);
        else
            accelerator.Launch((int)state, kernel);
    }

    /// <summary>Frees the weights and workspaces.</summary>
    public void Dispose()
    {
        packedWeight.Dispose();
        weight.Dispose();
        gateBias.Dispose();
        forgetWeights.Dispose();
        resetWeights.Dispose();
        projections.Dispose();
        cellScratch.Dispose();
    }
}
