using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The operands of a dense product as the GEMM kernels read them: transposes become
/// strides, so one kernel body serves every combination. Shared by <see cref="SimpleGemmKernel"/>
/// and <see cref="TiledGemmKernel"/>.</summary>
public struct StridedGemmOperands
{
    /// <summary>A as stored.</summary>
    public ArrayView<float> A;
    /// <summary>B as stored.</summary>
    public ArrayView<float> B;
    /// <summary>C, M×N.</summary>
    public ArrayView<float> C;
    /// <summary>Rows of C.</summary>
    public int M;
    /// <summary>Columns of C.</summary>
    public int N;
    /// <summary>The reduced dimension.</summary>
    public int K;
    /// <summary>Elements between A(i, k) and A(i + 1, k).</summary>
    public int ARowStride;
    /// <summary>Elements between A(i, k) and A(i, k + 1).</summary>
    public int AStepStride;
    /// <summary>Elements between B(k, j) and B(k + 1, j).</summary>
    public int BStepStride;
    /// <summary>Elements between B(k, j) and B(k, j + 1).</summary>
    public int BColumnStride;

    /// <summary>The operands of a product of <paramref name="shape"/>.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C.</param>
    /// <returns>The views with the strides of the shape's transposes.</returns>
    public static StridedGemmOperands Of(GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c) => new()
    {
        A = a, B = b, C = c, M = shape.M, N = shape.N, K = shape.K,
        ARowStride = shape.TransposeA ? 1 : shape.K,
        AStepStride = shape.TransposeA ? shape.M : 1,
        BStepStride = shape.TransposeB ? 1 : shape.N,
        BColumnStride = shape.TransposeB ? shape.K : 1,
    };
}
