using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Where the register-blocked kernels read the <see cref="GemmRegisterBlock.Rows"/> scalars
/// they broadcast at each step along K: the interleaved row panels of <see cref="GemmRowPanelKernel"/>,
/// or rows read in place.</summary>
internal interface IGemmRowSource
{
    /// <summary>Row <paramref name="row"/> of the block at step <paramref name="step"/>.</summary>
    float At(long step, int row);
}

/// <summary>A row block of op(A) in the panel <see cref="GemmRowPanelKernel"/> wrote: the rows' elements at one step are adjacent.</summary>
internal struct GemmRowPanel : IGemmRowSource
{
    /// <summary>The panels.</summary>
    public ArrayView<float> Panels;
    /// <summary>Index of the block's first element.</summary>
    public long Start;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float At(long step, int row) => Panels[Start + step * GemmRegisterBlock.Rows + row];
}

/// <summary>Consecutive rows of a row-major matrix read in place, each a stride apart and contiguous along K.</summary>
internal struct GemmRowsInPlace : IGemmRowSource
{
    /// <summary>The matrix.</summary>
    public ArrayView<float> Matrix;
    /// <summary>Index of the block's first element.</summary>
    public long Start;
    /// <summary>Elements from one row to the next.</summary>
    public int Stride;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float At(long step, int row) => Matrix[Start + (long)row * Stride + step];
}

/// <summary>The 8×16 accumulators of the register-blocked kernels: per step along K one contiguous
/// 16-wide segment of a column panel (<see cref="GemmColumnPanelKernel"/>) times 8 broadcast scalars,
/// 128 fused multiply-adds that the compiler's SLP vectoriser packs into vector FMAs; the separate
/// scalars of <see cref="GemmRowSegment"/> keep them in registers on OpenCL CPU runtimes.</summary>
internal struct GemmRegisterBlock
{
    /// <summary>Rows of the block.</summary>
    public const int Rows = 8;

    /// <summary>The rows' accumulators, first to last.</summary>
    public GemmRowSegment R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>The products of the rows of <paramref name="rows"/> with the column panel starting at
    /// <paramref name="panelStart"/>, summed over <paramref name="steps"/> steps in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRegisterBlock Accumulate<TRows>(TRows rows, ArrayView<float> columnPanels, long panelStart, int steps)
        where TRows : struct, IGemmRowSource
    {
        GemmRegisterBlock block = default;
        // 64-bit indices: a 32-bit index that may wrap before the view's 64-bit offset is added hides
        // from the compiler that a segment's 16 addresses are adjacent.
        long b = panelStart;
        for (long k = 0; k < steps; k++, b += GemmRowSegment.Width)
        {
            var segment = GemmRowSegment.Load(columnPanels, b);
            block.R0 = GemmRowSegment.MultiplyAdd(rows.At(k, 0), segment, block.R0);
            block.R1 = GemmRowSegment.MultiplyAdd(rows.At(k, 1), segment, block.R1);
            block.R2 = GemmRowSegment.MultiplyAdd(rows.At(k, 2), segment, block.R2);
            block.R3 = GemmRowSegment.MultiplyAdd(rows.At(k, 3), segment, block.R3);
            block.R4 = GemmRowSegment.MultiplyAdd(rows.At(k, 4), segment, block.R4);
            block.R5 = GemmRowSegment.MultiplyAdd(rows.At(k, 5), segment, block.R5);
            block.R6 = GemmRowSegment.MultiplyAdd(rows.At(k, 6), segment, block.R6);
            block.R7 = GemmRowSegment.MultiplyAdd(rows.At(k, 7), segment, block.R7);
        }
        return block;
    }
}
