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
