using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Copies op(B) into the column panels <see cref="RegisterBlockedGemmKernel"/> reads: panel x holds
/// the <see cref="RegisterBlockedGemmKernel.Columns"/> columns of column block x (the last block slid back
/// inside op(B) as the GEMM slides it) for every step along K, so the item's segment of B is one
/// contiguous run. Read in place, consecutive steps sit a row of B apart; at a linear layer's width that
/// stride is a multiple of the cache's set stride, so the segment's lines compete for a few sets and fall
/// out of the cache between the row blocks that read them. A transposed B (a linear layer's weight, N×K)
/// is transposed by the same copy, so no separate transpose runs. An op(B) narrower than a panel (a
/// small batch as <see cref="WeightRowsGemmKernel"/> reads it) fills the lanes past its last column with
/// copies of that column, which the GEMM computes and does not store.</summary>
public struct GemmColumnPanelKernel : IKernel2D
{
    /// <summary>B as stored, with its strides (A and C are not read).</summary>
    public StridedGemmOperands Operands;
    /// <summary>Receives the panels, <see cref="PanelLength"/> elements.</summary>
    public ArrayView<float> Panels;

    /// <summary>Elements of the panels of a product of <paramref name="shape"/>.</summary>
    public static long PanelLength(GemmShape shape) => (long)RegisterBlockedGemmKernel.ColumnBlocks(shape) * RegisterBlockedGemmKernel.Columns * shape.K;

    /// <summary>The kernel copying <paramref name="b"/> (op(B) of <paramref name="shape"/>) into <paramref name="panels"/>;
    /// launch it over K × <see cref="RegisterBlockedGemmKernel.ColumnBlocks"/> items.</summary>
    public static GemmColumnPanelKernel For(GemmShape shape, ArrayView<float> b, ArrayView<float> panels)
        => new() { Operands = StridedGemmOperands.Of(shape, default, b, default), Panels = panels };

    /// <summary>Copies step <paramref name="k"/> of panel <paramref name="x"/>.</summary>
    public void Execute(int k, int x)
    {
        const int width = RegisterBlockedGemmKernel.Columns;
        long target = ((long)x * Operands.K + k) * width;
        if (Operands.N < width)
        {
            for (int lane = 0; lane < width; lane++)
                Panels[target + lane] = Operands.B[(long)k * Operands.BStepStride + (long)Math.Min(lane, Operands.N - 1) * Operands.BColumnStride];
            return;
        }
        int column0 = Math.Min(x * width, Operands.N - width);
        long source = (long)k * Operands.BStepStride + (long)column0 * Operands.BColumnStride;
        // Two bodies rather than one strided load: with the stride a run-time value the compiler cannot
        // tell that an untransposed B's 16 elements are adjacent, and gathers them.
        if (Operands.BColumnStride == 1)
            GemmRowSegment.Store(Panels, target, GemmRowSegment.Load(Operands.B, source));
        else
            GemmRowSegment.Store(Panels, target, GemmRowSegment.Load(Operands.B, source, Operands.BColumnStride));
    }
}
