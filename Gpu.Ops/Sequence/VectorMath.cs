using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gpu.Ops.Sequence;

/// <summary>The gate functions eight lanes at a time, for the CPU fast paths of the recurrences.</summary>
internal static class VectorMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
        => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>tanh through one exponential of −2|x|, which never overflows: the sign is put back
    /// afterwards. Absolute error stays at a few 1e-8, which is what the gates need.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var magnitude = Vector256.Abs(x);
        var e = Vector256.Exp(Vector256.Create(-2f) * magnitude);
        var positive = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        return Vector256.CopySign(positive, x);
    }
}
