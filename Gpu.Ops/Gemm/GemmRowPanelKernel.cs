using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Copies op(A) into the row panels <see cref="RegisterBlockedGemmKernel"/> reads: panel y holds
/// the <see cref="RegisterBlockedGemmKernel.Rows"/> rows of row block y (the last block slid back inside A
/// as the GEMM slides it) interleaved along K, so the rows' elements at one step are adjacent. Read in
/// place, they sit a row of A apart at a run-time stride, and the compiler gathers them at every step.</summary>
public struct GemmRowPanelKernel : IKernel2D
{
    /// <summary>A as stored, with its strides (B and C are not read).</summary>
    public StridedGemmOperands Operands;
    /// <summary>Receives the panels, <see cref="PanelLength"/> elements.</summary>
    public ArrayView<float> Panels;

    /// <summary>Elements of the panels of a product of <paramref name="shape"/>.</summary>
    public static long PanelLength(GemmShape shape) => (long)RegisterBlockedGemmKernel.RowBlocks(shape) * RegisterBlockedGemmKernel.Rows * shape.K;

    /// <summary>The kernel copying <paramref name="a"/> (op(A) of <paramref name="shape"/>) into <paramref name="panels"/>;
    /// launch it over K × <see cref="RegisterBlockedGemmKernel.RowBlocks"/> items.</summary>
    public static GemmRowPanelKernel For(GemmShape shape, ArrayView<float> a, ArrayView<float> panels) => new()
    {
        Operands = StridedGemmOperands.Of(shape, a, default, default), Panels = panels,
    };

    /// <summary>Copies step <paramref name="k"/> of panel <paramref name="y"/>.</summary>
    public void Execute(int k, int y)
    {
        const int rows = RegisterBlockedGemmKernel.Rows;
        int row0 = Math.Min(y * rows, Operands.M - rows);
        long source = (long)row0 * Operands.ARowStride + (long)k * Operands.AStepStride;
        long target = ((long)y * Operands.K + k) * rows;
        for (int i = 0; i < rows; i++)
            Panels[target + i] = Operands.A[source + (long)i * Operands.ARowStride];
    }
}
