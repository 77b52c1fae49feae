using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary><see cref="CsrGemmKernel"/>'s product on the <see cref="RowSegments"/> schedule:
/// one item per row of W and 16 columns, accumulating in the order of the stored weights with
/// single-rounding multiply-adds, as the CPU engine's rows do. Launched over rows × <see cref="RowSegments.Segments"/>,
/// rows first, so consecutive items read the same columns of X; N must be at least 16.</summary>
public struct CsrRowSegmentKernel : IKernel2D
{
    /// <summary>W, X, Y and the epilogue (the launch extent differs from that kernel's).</summary>
    public CsrGemmKernel Product;

    /// <summary>Computes 16 columns of one row of Y.</summary>
    /// <param name="row">Row of W and Y.</param>
    /// <param name="segment">Which 16 columns.</param>
    public void Execute(int row, int segment)
    {
        int n = Product.N, column0 = RowSegments.LoadColumn(segment, n);
        GemmRowSegment sums = default;
        int end = Product.RowPointers[row + 1];
        for (int p = Product.RowPointers[row]; p < end; p++)
            sums = GemmRowSegment.MultiplyAdd(Product.Values[p], GemmRowSegment.Load(Product.X, (long)Product.ColumnIndices[p] * n + column0), sums);
        RowSegments.Store(Product.Y, Product.Epilogue, row, n, column0, segment * RowSegments.Width, sums);
    }
}

/// <summary><see cref="BlockSparseGemmKernel"/>'s product on the <see cref="RowSegments"/>
/// schedule: one item per row of W and 16 columns, each block's eight weights scaling eight
/// consecutive rows of X. Launched over rows × <see cref="RowSegments.Segments"/>, rows
/// first; N must be at least 16.</summary>
public struct BlockSparseRowSegmentKernel : IKernel2D
{
    /// <summary>W, X, Y and the epilogue (the launch extent differs from that kernel's).</summary>
    public BlockSparseGemmKernel Product;

    /// <summary>Computes 16 columns of one row of Y.</summary>
    /// <param name="row">Row of W and Y.</param>
    /// <param name="segment">Which 16 columns.</param>
    public void Execute(int row, int segment)
    {
        int n = Product.N, column0 = RowSegments.LoadColumn(segment, n);
        GemmRowSegment sums = default;
        int end = Product.BlockPointers[row + 1];
        for (int block = Product.BlockPointers[row]; block < end; block++)
        {
            int start = Product.BlockColumns[block];
            // A block running past the last column of W holds zero padding there, and X has no rows for it.
            int width = Product.K - start < BlockSparseMatrix.BlockWidth ? Product.K - start : BlockSparseMatrix.BlockWidth;
            long weight = (long)block * BlockSparseMatrix.BlockWidth, x = (long)start * n + column0;
            for (int t = 0; t < width; t++, x += n)
                sums = GemmRowSegment.MultiplyAdd(Product.Values[weight + t], GemmRowSegment.Load(Product.X, x), sums);
        }
        RowSegments.Store(Product.Y, Product.Epilogue, row, n, column0, segment * RowSegments.Width, sums);
    }
}

/// <summary><see cref="BlockSparseGemmKernel"/>'s product at one column of X (<c>y = W·x</c>: a batch-1
/// linear layer) for OpenCL runtimes on a host CPU: one item per row of W. Each whole block's eight
/// weights multiply eight consecutive elements of x into eight lane sums, even and odd blocks into two
/// such sets, added together at the end; a lane's chain of additions is one per two blocks instead of
/// eight per block (the portable kernel's single sum),
/// and the eight lanes are what the runtime's SLP vectoriser packs, since the loop over a row's blocks
/// keeps it from vectorising across items. Only a block running past the last column of W is summed
/// element by element.</summary>
public struct BlockSparseDotKernel : IKernel1D
{
    /// <summary>W, x, y and the epilogue; <see cref="BlockSparseGemmKernel.N"/> is 1.</summary>
    public BlockSparseGemmKernel Product;

    /// <summary>Computes element <paramref name="row"/> of y.</summary>
    public void Execute(int row)
    {
        float l0 = 0f, l1 = 0f, l2 = 0f, l3 = 0f, l4 = 0f, l5 = 0f, l6 = 0f, l7 = 0f, tail = 0f;
        float m0 = 0f, m1 = 0f, m2 = 0f, m3 = 0f, m4 = 0f, m5 = 0f, m6 = 0f, m7 = 0f;
        int block = Product.BlockPointers[row], end = Product.BlockPointers[row + 1];
        // Two sets of lane sums, even and odd blocks, so that each set's chain of dependent additions is half the row's.
        for (; block + 1 < end; block += 2)
        {
            AddBlock(block, ref l0, ref l1, ref l2, ref l3, ref l4, ref l5, ref l6, ref l7, ref tail);
            AddBlock(block + 1, ref m0, ref m1, ref m2, ref m3, ref m4, ref m5, ref m6, ref m7, ref tail);
        }
        if (block < end)
            AddBlock(block, ref l0, ref l1, ref l2, ref l3, ref l4, ref l5, ref l6, ref l7, ref tail);
        l0 += m0; l1 += m1; l2 += m2; l3 += m3; l4 += m4; l5 += m5; l6 += m6; l7 += m7;
        float sum = (l0 + l4 + (l2 + l6)) + (l1 + l5 + (l3 + l7)) + tail;
        RowEpilogue.Store(Product.Epilogue, Product.Y, row, sum, row);
    }

    /// <summary>Adds block <paramref name="block"/>'s eight products to the lane sums, or, for a block
    /// running past W's last column, its products element by element to <paramref name="tail"/>.</summary>
    private readonly void AddBlock(int block, ref float l0, ref float l1, ref float l2, ref float l3, ref float l4, ref float l5, ref float l6, ref float l7, ref float tail)
    {
        const int width = BlockSparseMatrix.BlockWidth;
        // 64-bit indices, so that the compiler sees the eight addresses of a block as adjacent.
        long weight = (long)block * width, start = Product.BlockColumns[block];
        if (start + width <= Product.K)
        {
            l0 = MathF.FusedMultiplyAdd(Product.Values[weight + 0], Product.X[start + 0], l0);
            l1 = MathF.FusedMultiplyAdd(Product.Values[weight + 1], Product.X[start + 1], l1);
            l2 = MathF.FusedMultiplyAdd(Product.Values[weight + 2], Product.X[start + 2], l2);
            l3 = MathF.FusedMultiplyAdd(Product.Values[weight + 3], Product.X[start + 3], l3);
            l4 = MathF.FusedMultiplyAdd(Product.Values[weight + 4], Product.X[start + 4], l4);
            l5 = MathF.FusedMultiplyAdd(Product.Values[weight + 5], Product.X[start + 5], l5);
            l6 = MathF.FusedMultiplyAdd(Product.Values[weight + 6], Product.X[start + 6], l6);
            l7 = MathF.FusedMultiplyAdd(Product.Values[weight + 7], Product.X[start + 7], l7);
        }
        else
        {
            for (long t = 0; start + t < Product.K; t++)
                tail = MathF.FusedMultiplyAdd(Product.Values[weight + t], Product.X[start + t], tail);
        }
    }
}
