namespace Gpu.Ops.Gemm;

/// <summary>The shape of <c>C (M×N) = α·op(A)·op(B) + β·C</c>; every matrix row-major and dense.
/// op(A) is M×K: A is stored M×K, or K×M when <paramref name="TransposeA"/>. op(B) is K×N: B is
/// stored K×N, or N×K when <paramref name="TransposeB"/> (a linear layer's weight, out × in).</summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">The reduced dimension.</param>
/// <param name="TransposeA">A is stored K×M.</param>
/// <param name="TransposeB">B is stored N×K.</param>
public readonly record struct GemmShape(int M, int N, int K, bool TransposeA = false, bool TransposeB = false)
{
    /// <summary>Floating-point operations of one product: 2·M·N·K.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Throws unless every dimension is positive and the views hold the matrices.</summary>
    /// <param name="a">Elements of A.</param>
    /// <param name="b">Elements of B.</param>
    /// <param name="c">Elements of C.</param>
    /// <exception cref="ArgumentException">A dimension or a view's length is wrong.</exception>
    public void Validate(long a, long b, long c)
    {
        if (M <= 0 || N <= 0 || K <= 0)
            throw new ArgumentException($"GEMM dimensions must be positive, got M={M}, N={N}, K={K}.");
        Require("A", a, (long)M * K);
        Require("B", b, (long)K * N);
        Require("C", c, (long)M * N);
    }

    private void Require(string matrix, long actual, long expected)
    {
        if (actual != expected)
            throw new ArgumentException($"{matrix} holds {actual} elements; a GEMM of M={M}, N={N}, K={K} needs {expected}.");
    }
}
