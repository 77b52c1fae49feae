using System.Runtime.CompilerServices;
namespace Gpu.Ops;

/// <summary>The activation functions an epilogue can apply.</summary>
public enum ActivationKind
{
    /// <summary>No activation.</summary>
    Identity,
    /// <summary><c>max(x, 0)</c>, NaN staying NaN as in PyTorch.</summary>
    Relu,
    /// <summary><c>x ≥ 0 ? x : slope·x</c> (equal to <c>max(x, slope·x)</c> for 0 ≤ slope ≤ 1).</summary>
    LeakyRelu,
    /// <summary><c>1 / (1 + e^−x)</c>.</summary>
    Sigmoid,
    /// <summary><c>tanh(x)</c>.</summary>
    Tanh,
}

/// <summary>An activation and its parameter; a plain value so kernels carry it as a field and
/// apply it in their epilogue.</summary>
/// <param name="Kind">Which function.</param>
/// <param name="Slope">The negative slope of <see cref="ActivationKind.LeakyRelu"/>.</param>
public readonly record struct Activation(ActivationKind Kind, float Slope = 0f)
{
    /// <summary>No activation.</summary>
    public static Activation None => default;

    /// <summary>ReLU.</summary>
    public static Activation Relu => new(ActivationKind.Relu);

    /// <summary>LeakyReLU with the given negative slope (FIP uses 0.2).</summary>
    /// <param name="slope">The slope for negative inputs.</param>
    public static Activation Leaky(float slope) => new(ActivationKind.LeakyRelu, slope);

    /// <summary>The activation of <paramref name="x"/>; callable from kernels. Inlined on the CPU:
    /// as a call it made the CPU accelerator's loop spill and reload every kernel field per element,
    /// which left element-wise ops far below the memory's bandwidth.</summary>
    /// <param name="kind">Which function.</param>
    /// <param name="slope">The LeakyReLU slope.</param>
    /// <param name="x">The input.</param>
    /// <returns>The activated value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(ActivationKind kind, float slope, float x) => kind switch
    {
        // Written so that NaN fails the test and passes through, as in PyTorch and the SIMD paths.
        ActivationKind.Relu => x < 0f ? 0f : x,
        ActivationKind.LeakyRelu => x >= 0f ? x : slope * x,
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        ActivationKind.Tanh => MathF.Tanh(x),
        _ => x,
    };

    /// <summary>This activation of <paramref name="x"/>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>The activated value.</returns>
    public float Apply(float x) => Apply(Kind, Slope, x);
}
