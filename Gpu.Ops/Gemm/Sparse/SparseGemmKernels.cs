using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary><c>Y = act(W·X + bias)</c> with W in CSR: one thread per element of Y, walking its
/// row's non-zeros. Launched over N × Rows.</summary>
public struct CsrGemmKernel : IKernel2D
{
    /// <summary>Row offsets.</summary>
    public ArrayView<int> RowPointers;
    /// <summary>Column of each non-zero.</summary>
    public ArrayView<int> ColumnIndices;
    /// <summary>The non-zeros.</summary>
    public ArrayView<float> Values;
    /// <summary>X, K×N.</summary>
    public ArrayView<float> X;
    /// <summary>Y, Rows×N.</summary>
    public ArrayView<float> Y;
    /// <summary>Columns of X and Y.</summary>
    public int N;
    /// <summary>Scale, bias, activation, and whether Y is added to.</summary>
    public RowEpilogue Epilogue;

    /// <summary>Computes Y[row, column].</summary>
    /// <param name="column">Column of Y.</param>
    /// <param name="row">Row of Y.</param>
    public void Execute(int column, int row)
    {
        float sum = 0f;
        int end = RowPointers[row + 1];
        for (int p = RowPointers[row]; p < end; p++)
            sum += Values[p] * X[ColumnIndices[p] * N + column];
        RowEpilogue.Store(Epilogue, Y, row * N + column, sum, row);
    }
}

/// <summary><c>Y = act(W·X + bias)</c> with W in 1×8 blocks: one thread per element of Y.
/// Launched over N × Rows.</summary>
public struct BlockSparseGemmKernel : IKernel2D
{
    /// <summary>Row offsets into the blocks.</summary>
    public ArrayView<int> BlockPointers;
    /// <summary>First column of each block.</summary>
    public ArrayView<int> BlockColumns;
    /// <summary>Eight values per block.</summary>
    public ArrayView<float> Values;
    /// <summary>X, K×N.</summary>
    public ArrayView<float> X;
    /// <summary>Y, Rows×N.</summary>
    public ArrayView<float> Y;
    /// <summary>Columns of X and Y.</summary>
    public int N;
    /// <summary>Columns of W (rows of X): blocks past it are zero padding and must not read X.</summary>
    public int K;
    /// <summary>Scale, bias, activation, and whether Y is added to.</summary>
    public RowEpilogue Epilogue;

    /// <summary>Computes Y[row, column].</summary>
    /// <param name="column">Column of Y.</param>
    /// <param name="row">Row of Y.</param>
    public void Execute(int column, int row)
    {
        float sum = 0f;
        int end = BlockPointers[row + 1];
        for (int block = BlockPointers[row]; block < end; block++)
        {
            int start = BlockColumns[block];
            int width = K - start < BlockSparseMatrix.BlockWidth ? K - start : BlockSparseMatrix.BlockWidth;
            for (int t = 0; t < width; t++)
                sum += Values[block * BlockSparseMatrix.BlockWidth + t] * X[(start + t) * N + column];
        }
        RowEpilogue.Store(Epilogue, Y, row * N + column, sum, row);
    }
}
