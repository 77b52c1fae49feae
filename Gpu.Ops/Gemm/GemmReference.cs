namespace Gpu.Ops.Gemm;

/// <summary>The obvious triple loop every fast GEMM path is tested against. Accumulates in double so
/// its own rounding is negligible next to the paths it judges.</summary>
public static class GemmReference
{
    /// <summary><c>C = act(α·op(A)·op(B) + β·C + bias)</c> on host arrays.</summary>
    /// <param name="shape">The product's shape and transposes.</param>
    /// <param name="a">A, row-major as stored.</param>
    /// <param name="b">B, row-major as stored.</param>
    /// <param name="c">C, read when β ≠ 0 and overwritten.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">Per-column bias, or empty.</param>
    /// <param name="activation">The activation applied last.</param>
    public static void Multiply(GemmShape shape, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        float alpha = 1f, float beta = 0f, ReadOnlySpan<float> bias = default, Activation activation = default)
    {
        shape.Validate(a.Length, b.Length, c.Length);
        if (bias.Length != 0 && bias.Length != shape.N)
            throw new ArgumentException($"The bias holds {bias.Length} elements; expected {shape.N} or none.", nameof(bias));
        for (int i = 0; i < shape.M; i++)
        {
            for (int j = 0; j < shape.N; j++)
            {
                double sum = 0;
                for (int k = 0; k < shape.K; k++)
                {
                    float left = shape.TransposeA ? a[k * shape.M + i] : a[i * shape.K + k];
                    float right = shape.TransposeB ? b[j * shape.K + k] : b[k * shape.N + j];
                    sum += (double)left * right;
                }
                double value = alpha * sum;
                if (beta != 0f)
                    value += (double)beta * c[i * shape.N + j];
                if (bias.Length != 0)
                    value += bias[j];
                c[i * shape.N + j] = activation.Apply((float)value);
            }
        }
    }
}
