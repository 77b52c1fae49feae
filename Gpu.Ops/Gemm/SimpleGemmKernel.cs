using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>One thread per element of C, a plain dot product over K: the portable path that runs
/// on every accelerator and handles any shape, and the fallback when no faster path applies.</summary>
public struct SimpleGemmKernel : IKernel2D
{
    /// <summary>The views and their strides.</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>The kernel for <paramref name="shape"/>: transposes become strides.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over N × M.</returns>
    public static SimpleGemmKernel For(GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue) => new()
    {
        Operands = StridedGemmOperands.Of(shape, a, b, c), Epilogue = epilogue,
    };

    /// <summary>Computes C[y, x].</summary>
    /// <param name="x">Column of C.</param>
    /// <param name="y">Row of C.</param>
    public void Execute(int x, int y)
    {
        float sum = 0f;
        int aIndex = y * Operands.ARowStride;
        int bIndex = x * Operands.BColumnStride;
        for (int k = 0; k < Operands.K; k++)
        {
            sum += Operands.A[aIndex] * Operands.B[bIndex];
            aIndex += Operands.AStepStride;
            bIndex += Operands.BStepStride;
        }
        int cIndex = y * Operands.N + x;
        Operands.C[cIndex] = GemmEpilogue.Apply(Epilogue, sum, Operands.C[cIndex], x);
    }
}
