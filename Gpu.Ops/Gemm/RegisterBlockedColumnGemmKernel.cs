using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary><see cref="RegisterBlockedGemmKernel"/> for products of few rows (a recurrent step's batch,
/// a small-batch linear layer): one work item per 16-column block of C that computes the blocks of
/// every row block in turn. With one item per block the row blocks of a column segment run as separate
/// items, each streaming the segment's K×16 elements of B from memory (a layer's weight outgrows the
/// caches); here the following row blocks read it from the item's cache. Each element of C is
/// accumulated exactly as in <see cref="RegisterBlockedGemmKernel"/>, so the results are the same.</summary>
public struct RegisterBlockedColumnGemmKernel : IGroupKernel
{
    /// <summary>Most row blocks for which the column walk is chosen (a batch of 128): the item's panel of B
    /// (K×16 elements) stays in its core's cache over the walk while A's panels, read by every item, come
    /// from the shared cache; with more rows A outgrows it and one item per block is faster
    /// (docs/opencl-engine.md section 12). C should also have columns enough to keep every core busy with
    /// one item per column block.</summary>
    public const int MaxRowBlocks = 16;

    /// <summary>The views and their strides; A holds op(A)'s row panels (<see cref="GemmRowPanelKernel"/>).</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>Whether the column walk suits a product of <paramref name="shape"/> on a device of
    /// <paramref name="computeUnits"/> cores: C holds a whole block, at most <see cref="MaxRowBlocks"/>
    /// row blocks and at least four column blocks per core.</summary>
    public static bool Suits(GemmShape shape, int computeUnits)
        => RegisterBlockedGemmKernel.Suits(shape) && RegisterBlockedGemmKernel.RowBlocks(shape) <= MaxRowBlocks
           && RegisterBlockedGemmKernel.ColumnBlocks(shape) >= 4 * computeUnits;

    /// <summary>The launch: one group of one item per column block. Left to choose, the runtime (PoCL)
    /// makes groups of up to 128 items, which at 128 column blocks or fewer is one group on one core.</summary>
    public static GroupedExtent ExtentOf(GemmShape shape) => new(RegisterBlockedGemmKernel.ColumnBlocks(shape), 1);

    /// <summary>The blocks of C at this group's column block, every row block in turn.</summary>
    public void Execute()
    {
        int rowBlocks = (Operands.M + RegisterBlockedGemmKernel.Rows - 1) / RegisterBlockedGemmKernel.Rows;
        for (int y = 0; y < rowBlocks; y++)
            RegisterBlockedGemmKernel.Block(Operands, Epilogue, Grid.IdxX, y);
    }
}
