using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>A pruned weight matrix W (Rows × Columns) stored as 1×<see cref="BlockWidth"/> blocks:
/// row i's blocks are <c>BlockPointers[i] .. BlockPointers[i + 1]</c>, block b starts at column
/// <c>BlockColumns[b]</c> (a multiple of the width) and holds <c>Values[b·8 .. b·8 + 8)</c>, zeros
/// where the block runs past the last column or the mask dropped an element. Eight consecutive
/// weights vectorise along K even at batch 1, where CSR can only gather. The structure is checked as
/// <see cref="CsrMatrix"/>'s is.</summary>
public sealed class BlockSparseMatrix : IDisposable
{
    /// <summary>Weights per block.</summary>
    public const int BlockWidth = 8;

    private readonly DeviceBuffer<int> blockPointers, blockColumns;
    private bool structureHandedOut;

    private BlockSparseMatrix(Accelerator accelerator, int rows, int columns, int[] blockPointers, int[] blockColumns, float[] values)
    {
        SparseShape.CheckStructure(nameof(BlockSparseMatrix), blockPointers, nameof(BlockPointers), blockColumns, nameof(BlockColumns), rows, columns, blockColumns.Length, BlockWidth);
        Rows = rows;
        Columns = columns;
        Blocks = blockColumns.Length;
        this.blockPointers = accelerator.Allocate<int>(blockPointers);
        this.blockColumns = accelerator.Allocate<int>(blockColumns.Length == 0 ? [0] : blockColumns);
        Values = accelerator.Allocate<float>(values.Length == 0 ? new float[BlockWidth] : values);
    }

    /// <summary>Rows of W.</summary>
    public int Rows { get; }
    /// <summary>Columns of W.</summary>
    public int Columns { get; }
    /// <summary>Stored blocks.</summary>
    public int Blocks { get; }
    /// <summary>Rows + 1 offsets into the blocks. Handing it out makes every later product re-check the
    /// structure (a copy to the host of O(rows + blocks)), since it may have been written.</summary>
    public DeviceBuffer<int> BlockPointers
    {
        get
        {
            structureHandedOut = true;
            return blockPointers;
        }
    }

    /// <summary>The first column of each block; handing it out has the cost of <see cref="BlockPointers"/>'.</summary>
    public DeviceBuffer<int> BlockColumns
    {
        get
        {
            structureHandedOut = true;
            return blockColumns;
        }
    }

    /// <summary>The structure buffers for the products, checked first when they were handed out.</summary>
    /// <exception cref="ArgumentException">A block pointer or column is out of range or the pointers decrease.</exception>
    internal (ArrayView<int> BlockPointers, ArrayView<int> BlockColumns) CheckedStructure()
    {
        if (structureHandedOut)
            SparseShape.CheckStructure(nameof(BlockSparseMatrix), blockPointers.ToArray(), nameof(BlockPointers), blockColumns.ToArray(), nameof(BlockColumns), Rows, Columns, Blocks, BlockWidth);
        return (blockPointers.View, blockColumns.View);
    }
    /// <summary><see cref="BlockWidth"/> values per block.</summary>
    public DeviceBuffer<float> Values { get; }

    /// <summary>Fraction of W's elements outside the stored blocks.</summary>
    public double Sparsity => 1.0 - (double)Blocks * BlockWidth / ((long)Rows * Columns);

    /// <summary>Stores every block holding at least one kept element; dropped elements inside a
    /// stored block are zero.</summary>
    /// <param name="accelerator">Where the matrix lives.</param>
    /// <param name="dense">W, rows × columns, row-major.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="keep">One flag per element: true keeps it.</param>
    /// <returns>The block-sparse matrix.</returns>
    /// <exception cref="ArgumentException">A length does not match the shape.</exception>
    public static BlockSparseMatrix FromDense(Accelerator accelerator, ReadOnlySpan<float> dense, int rows, int columns, ReadOnlySpan<bool> keep)
    {
        SparseShape.Check(dense.Length, rows, columns);
        if (keep.Length != dense.Length)
            throw new ArgumentException($"The mask holds {keep.Length} flags; W has {dense.Length} elements.", nameof(keep));
        var blockPointers = new int[rows + 1];
        var blockColumns = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            for (int start = 0; start < columns; start += BlockWidth)
            {
                int width = Math.Min(BlockWidth, columns - start);
                if (!keep.Slice(i * columns + start, width).Contains(true))
                    continue;
                blockColumns.Add(start);
                for (int t = 0; t < BlockWidth; t++)
                    values.Add(t < width && keep[i * columns + start + t] ? dense[i * columns + start + t] : 0f);
            }
            blockPointers[i + 1] = blockColumns.Count;
        }
        return new BlockSparseMatrix(accelerator, rows, columns, blockPointers, [.. blockColumns], [.. values]);
    }

    /// <summary>Magnitude pruning of elements (|w| &gt; threshold kept), then blocking.</summary>
    /// <param name="accelerator">Where the matrix lives.</param>
    /// <param name="dense">W, rows × columns, row-major.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="threshold">Elements of magnitude at most this are dropped.</param>
    /// <returns>The block-sparse matrix.</returns>
    public static BlockSparseMatrix FromDense(Accelerator accelerator, ReadOnlySpan<float> dense, int rows, int columns, float threshold)
        => FromDense(accelerator, dense, rows, columns, SparseShape.MagnitudeMask(dense, threshold));

    /// <inheritdoc/>
    public void Dispose()
    {
        blockPointers.Dispose();
        blockColumns.Dispose();
        Values.Dispose();
    }
}
