namespace Gpu.Ops.Sequence;

/// <summary>The scalar gate functions of the recurrent cells; plain static methods, so portable
/// kernels call them and the compiler translates them with the kernel.</summary>
public static class SequenceMath
{
    /// <summary>The logistic function <c>1 / (1 + e^−x)</c>.</summary>
    /// <param name="x">The input.</param>
    /// <returns>σ(x) in [0, 1].</returns>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>The hyperbolic tangent.</summary>
    /// <param name="x">The input.</param>
    /// <returns>tanh(x) in [−1, 1].</returns>
    public static float Tanh(float x) => MathF.Tanh(x);
}
