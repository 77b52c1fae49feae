namespace Gpu.Ops.Sequence;

/// <summary>The gate nonlinearities of a recurrent cell as a type, so one cell kernel body serves
/// schedules that need different forms of them.</summary>
public interface IGateFunctions
{
    /// <summary>The logistic function <c>1 / (1 + e^−x)</c>.</summary>
    float Sigmoid(float x);

    /// <summary>The hyperbolic tangent.</summary>
    float Tanh(float x);
}

/// <summary>The gate functions through the math library (<see cref="SequenceMath"/>): exact to the
/// library's rounding, and the form GPUs evaluate in hardware.</summary>
public struct LibraryGateFunctions : IGateFunctions
{
    /// <inheritdoc/>
    public readonly float Sigmoid(float x) => SequenceMath.Sigmoid(x);

    /// <inheritdoc/>
    public readonly float Tanh(float x) => SequenceMath.Tanh(x);
}

/// <summary>The gate functions from multiplies, adds, compares and one bit cast only: OpenCL CPU
/// runtimes (PoCL) compile <c>exp</c> and <c>tanh</c> to calls they do not inline, which keeps them
/// from vectorising a kernel across work items; this form has no call left. The exponential is
/// Cephes' <c>expf</c> (Cody–Waite reduction by ln 2, a degree-5 polynomial, 2ⁿ built in the
/// exponent bits), within 2 ulp of e^x over the clamped range.</summary>
public struct ArithmeticGateFunctions : IGateFunctions
{
    /// <inheritdoc/>
    public readonly float Sigmoid(float x) => 1f / (1f + Exp(-x));

    /// <summary>tanh through one exponential of −2|x|, which never overflows; the sign is put back
    /// afterwards (as <see cref="VectorMath.Tanh"/> does on the CPU path).</summary>
    public readonly float Tanh(float x)
    {
        float magnitude = x < 0f ? -x : x;
        float e = Exp(-2f * magnitude);
        float positive = (1f - e) / (1f + e);
        return x < 0f ? -positive : positive;
    }

    /// <summary>e^x with x clamped to [−87.3, 88.3], where 2ⁿ stays a normal float; below that the
    /// result is about 1e-38 instead of smaller, which a sigmoid or tanh cannot tell from 0. A NaN
    /// passes both compares and comes out NaN.</summary>
    public static float Exp(float x)
    {
        x = x > 88.3f ? 88.3f : x;
        x = x < -87.3f ? -87.3f : x;
        // Rounds x·log₂e to the nearest integer with a truncating conversion: the clamp keeps the
        // operand above −127, so adding 127.5 makes it positive, where truncation is floor.
        int n = (int)(x * 1.44269504f + 127.5f) - 127;
        float r = x - n * 0.693359375f;
        r -= n * -2.12194440e-4f;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        float y = p * r * r + r + 1f;
        return y * BitConverter.Int32BitsToSingle((n + 127) << 23);
    }
}
