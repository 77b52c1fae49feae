using Gpu.Core;

namespace Gpu.Ops.Gemm;

/// <summary>One thread per element of C, a plain dot product over K: the portable path that runs
/// on every accelerator and handles any shape, and the fallback when no faster path applies.</summary>
public struct SimpleGemmKernel : IKernel2D
{
    /// <summary>A as stored.</summary>
    public View<float> A;
    /// <summary>B as stored.</summary>
    public View<float> B;
    /// <summary>C, M×N.</summary>
    public View<float> C;
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
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>The kernel for <paramref name="shape"/>: transposes become strides.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over N × M.</returns>
    public static SimpleGemmKernel For(GemmShape shape, View<float> a, View<float> b, View<float> c, GemmEpilogue epilogue) => new()
    {
        A = a, B = b, C = c, N = shape.N, K = shape.K,
        ARowStride = shape.TransposeA ? 1 : shape.K,
        AStepStride = shape.TransposeA ? shape.M : 1,
        BStepStride = shape.TransposeB ? 1 : shape.N,
        BColumnStride = shape.TransposeB ? shape.K : 1,
        Epilogue = epilogue,
    };

    /// <summary>Computes C[y, x].</summary>
    /// <param name="x">Column of C.</param>
    /// <param name="y">Row of C.</param>
    public void Execute(int x, int y)
    {
        float sum = 0f;
        int aIndex = y * ARowStride;
        int bIndex = x * BColumnStride;
        for (int k = 0; k < K; k++)
        {
            sum += A[aIndex] * B[bIndex];
            aIndex += AStepStride;
            bIndex += BStepStride;
        }
        int cIndex = y * N + x;
        C[cIndex] = GemmEpilogue.Apply(Epilogue, sum, C[cIndex], x);
    }
}
