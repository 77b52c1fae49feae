using ILGPU;
using System.Numerics.Tensors;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>Element-wise ops on whole tensors (any layout): activation, scale, sum. Each is a
/// 1D kernel over the elements (on the CPU the vectorised <see cref="ElementwiseCpu"/> path, the
/// same results but for sigmoid's and tanh's last bits) and may run in place (output = an input).</summary>
public static class Elementwise
{
    /// <summary><c>output = act(input)</c>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Same length; may be the input.</param>
    /// <param name="activation">The activation.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the output partly overlaps the input.</exception>
    public static void Activate(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, Activation activation)
    {
        CheckLengths(input, output, input);
        Run(accelerator, input, input, output, new ScaleAddActivateKernel { ScaleA = 1f, ScaleB = 0f, Activation = activation.Kind, Slope = activation.Slope });
    }

    /// <summary><c>output = factor·input</c>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Same length; may be the input.</param>
    /// <param name="factor">The scale.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the output partly overlaps the input.</exception>
    public static void Scale(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, float factor)
    {
        CheckLengths(input, output, input);
        Run(accelerator, input, input, output, new ScaleAddActivateKernel { ScaleA = factor, ScaleB = 0f });
    }

    /// <summary><c>output = act(scaleA·a + scaleB·b)</c>; with the defaults a plain sum.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="a">The first operand.</param>
    /// <param name="b">The second operand.</param>
    /// <param name="output">Same length; may be either operand.</param>
    /// <param name="scaleA">Factor of a.</param>
    /// <param name="scaleB">Factor of b.</param>
    /// <param name="activation">Applied last.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the output partly overlaps an operand.</exception>
    public static void Add(Accelerator accelerator, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, float scaleA = 1f, float scaleB = 1f, Activation activation = default)
    {
        CheckLengths(a, output, b);
        Run(accelerator, a, b, output, new ScaleAddActivateKernel { ScaleA = scaleA, ScaleB = scaleB, Activation = activation.Kind, Slope = activation.Slope });
    }

    /// <summary><c>output = min(max(input, min), max)</c>, NaN kept (as PyTorch's <c>clamp</c>).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">The input.</param>
    /// <param name="output">Same length; may be the input.</param>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound, at least <paramref name="min"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ or the bounds are out of order.</exception>
    public static void Clamp(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, float min, float max)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        CheckLengths(input, output, input);
        if (!(min <= max))
            throw new ArgumentException($"Clamping needs min ≤ max; got [{min}, {max}].", nameof(min));
        if (accelerator.IsHostAddressable())
            TensorPrimitives.Clamp(input.AsHostSpan(accelerator), min, max, output.AsHostSpan(accelerator));
        else
            accelerator.Launch(OperandChecks.LaunchCount(output), new ClampKernel { Input = input, Output = output, Min = min, Max = max });
    }

    /// <summary>Checks the operands, then runs <paramref name="parameters"/> (factors and activation) over them.</summary>
    private static void Run(Accelerator accelerator, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, ScaleAddActivateKernel parameters)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        accelerator.CheckView(a);
        accelerator.CheckView(b);
        accelerator.CheckView(output);
        // An output shifted against an operand would make each result depend on the order the
        // elements are written in, which differs between devices; exactly in place is fine.
        OperandChecks.DisjointOrSame(a, output, "the input", "output");
        OperandChecks.DisjointOrSame(b, output, "b", "output");
        var kernel = parameters with { A = a, B = b, Output = output };
        if (accelerator.IsHostAddressable())
            ElementwiseCpu.ScaleAddActivate(kernel);
        else if (accelerator.Device.PrefersBarrierFreeSchedule())
            ActivationFunctions.Launch(accelerator, kernel.Activation, kernel);
        else
            accelerator.Launch(OperandChecks.LaunchCount(output), kernel);
    }

    private static void CheckLengths(ArrayView<float> a, ArrayView<float> output, ArrayView<float> b)
    {
        if (a.Length != output.Length || b.Length != output.Length)
            throw new ArgumentException($"Element-wise operands must have one length; got {a.Length}, {b.Length} and output {output.Length}.");
    }
}

/// <summary><c>output[i] = act(ScaleA·A[i] + ScaleB·B[i])</c>; B is not read when ScaleB is 0.</summary>
public struct ScaleAddActivateKernel : IKernel1D, IActivationSpecializedLaunch
{
    /// <summary>Operands and result.</summary>
    public ArrayView<float> A, B, Output;
    /// <summary>Factors.</summary>
    public float ScaleA, ScaleB;
    /// <summary>The activation.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>One element.</summary>
    /// <param name="index">The element.</param>
    public void Execute(int index) => Output[index] = Gpu.Ops.Activation.Apply(Activation, Slope, Combined(index));

    /// <summary>The scaled sum at <paramref name="index"/>, before the activation.</summary>
    /// <param name="index">Flat index.</param>
    /// <returns>a·A + b·B (B unread where b is 0).</returns>
    public readonly float Combined(int index)
    {
        float value = ScaleA * A[index];
        if (ScaleB != 0f)
            value += ScaleB * B[index];
        return value;
    }

    readonly void IActivationSpecializedLaunch.Launch<TActivation>(Accelerator accelerator)
        => accelerator.Launch(Output.IntLength, new ScaleAddActivateKernel<TActivation> { Parameters = this });
}

/// <summary><see cref="ScaleAddActivateKernel"/> with its activation a type, for devices that prefer
/// barrier-free schedules: there the activation's switch would keep PoCL from vectorising.</summary>
public struct ScaleAddActivateKernel<TActivation> : IKernel1D where TActivation : struct, IActivationFunction
{
    /// <summary>The operands, factors and slope (its <see cref="ScaleAddActivateKernel.Activation"/> is unused).</summary>
    public ScaleAddActivateKernel Parameters;
    /// <summary>The activation.</summary>
    public TActivation Function;

    /// <summary>One element.</summary>
    /// <param name="index">Flat index.</param>
    public void Execute(int index) => Parameters.Output[index] = Function.Apply(Parameters.Slope, Parameters.Combined(index));
}

/// <summary><c>Output[i] = min(max(Input[i], Min), Max)</c>, NaN kept.</summary>
public struct ClampKernel : IKernel1D
{
    /// <summary>Operand and result.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>The bounds.</summary>
    public float Min, Max;

    /// <summary>One element.</summary>
    /// <param name="index">The element.</param>
    public void Execute(int index) => Output[index] = MathF.Min(MathF.Max(Input[index], Min), Max);
}
