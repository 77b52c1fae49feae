using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The portable codebook product <c>Y = act(W·X + bias)</c>: one thread per output
/// element, each index read at random from the packed words and looked up in global memory.
/// Launched over N × Rows. It runs where neither the CPU row path nor the grouped kernel does:
/// on a CPU without AVX2 and FMA, whose grouped emulation is for correctness only.</summary>
public struct CodebookGemmKernel : IKernel2D
{
    /// <summary>The packed indices (<see cref="CodebookIndices"/>).</summary>
    public ArrayView<uint> Indices;
    /// <summary>The centroid table.</summary>
    public ArrayView<float> Centroids;
    /// <summary>X, K×N.</summary>
    public ArrayView<float> X;
    /// <summary>Y, Rows×N.</summary>
    public ArrayView<float> Y;
    /// <summary>Columns of X and Y.</summary>
    public int N;
    /// <summary>Columns of W.</summary>
    public int K;
    /// <summary>Bits per index.</summary>
    public int Bits;
    /// <summary>Words per packed row.</summary>
    public int WordsPerRow;
    /// <summary>Scale, bias, activation, and whether Y is added to.</summary>
    public RowEpilogue Epilogue;

    /// <summary>The kernel for a product.</summary>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, Rows×N.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="epilogue">Scale, bias, activation, and whether Y is added to.</param>
    /// <returns>The kernel, to launch over N × Rows.</returns>
    public static CodebookGemmKernel For(CodebookWeights weights, ArrayView<float> x, ArrayView<float> y, int n, RowEpilogue epilogue) => new()
    {
        Indices = weights.PackedIndices.View, Centroids = weights.Centroids.View, X = x, Y = y, N = n, K = weights.Columns,
        Bits = weights.Bits, WordsPerRow = weights.WordsPerRow, Epilogue = epilogue,
    };

    /// <summary>Computes Y[row, column].</summary>
    /// <param name="column">Column of Y.</param>
    /// <param name="row">Row of Y.</param>
    public void Execute(int column, int row)
    {
        float sum = 0f;
        int rowStart = row * WordsPerRow;
        for (int k = 0; k < K; k++)
            sum += Centroids[CodebookIndices.At(Indices, rowStart, k, Bits)] * X[k * N + column];
        RowEpilogue.Store(Epilogue, Y, row * N + column, sum, row);
    }
}

/// <summary>The GPU codebook product: a group of <see cref="RowsPerGroup"/> threads computes that
/// many rows of Y by <see cref="ColumnsPerThread"/> columns, one row and four columns per thread.
/// The group first copies the 2^b centroids into shared memory, so every lookup is a shared read
/// instead of a global one. Each thread then streams its row's packed words through a 64-bit
/// register, taking one index out per step, and feeds each decoded weight to four multiply-adds;
/// a word is read from global memory once, whatever b. Any M, N, K and b (1–8).</summary>
public struct CodebookGemmGroupedKernel : IGroupKernel
{
    /// <summary>Rows of Y per group (threads per group).</summary>
    public const int RowsPerGroup = 64;
    /// <summary>Columns of Y per thread.</summary>
    public const int ColumnsPerThread = 4;
    /// <summary>The largest table (8-bit indices); shared memory is sized for it.</summary>
    public const int MaxCentroids = 256;

    /// <summary>The packed indices (<see cref="CodebookIndices"/>).</summary>
    public ArrayView<uint> Indices;
    /// <summary>The centroid table, 2^<see cref="Bits"/> values.</summary>
    public ArrayView<float> Centroids;
    /// <summary>X, K×N.</summary>
    public ArrayView<float> X;
    /// <summary>Y, M×N.</summary>
    public ArrayView<float> Y;
    /// <summary>Rows of W and Y.</summary>
    public int M;
    /// <summary>Columns of X and Y.</summary>
    public int N;
    /// <summary>Columns of W.</summary>
    public int K;
    /// <summary>Bits per index.</summary>
    public int Bits;
    /// <summary>Words per packed row.</summary>
    public int WordsPerRow;
    /// <summary>Scale, bias, activation, and whether Y is added to.</summary>
    public RowEpilogue Epilogue;

    /// <summary>The grouped launch covering Y.</summary>
    /// <param name="rows">Rows of Y.</param>
    /// <param name="n">Columns of Y.</param>
    /// <returns>Groups of <see cref="RowsPerGroup"/> threads over (column blocks, row blocks).</returns>
    public static GroupedExtent ExtentOf(int rows, int n)
        => new((n + ColumnsPerThread - 1) / ColumnsPerThread, (rows + RowsPerGroup - 1) / RowsPerGroup, 1, RowsPerGroup, 1, 1);

    /// <summary>The kernel for a product.</summary>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, Rows×N.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="epilogue">Scale, bias, activation, and whether Y is added to.</param>
    /// <returns>The kernel, to launch over <see cref="ExtentOf"/>.</returns>
    public static CodebookGemmGroupedKernel For(CodebookWeights weights, ArrayView<float> x, ArrayView<float> y, int n, RowEpilogue epilogue) => new()
    {
        Indices = weights.PackedIndices.View, Centroids = weights.Centroids.View, X = x, Y = y, M = weights.Rows, N = n,
        K = weights.Columns, Bits = weights.Bits, WordsPerRow = weights.WordsPerRow, Epilogue = epilogue,
    };

    /// <summary>One thread: one row and up to four columns of Y.</summary>
    public void Execute()
    {
        ArrayView<float> table = SharedMemory.Allocate<float>(MaxCentroids);
        int thread = Group.IdxX;
        for (int e = thread; e < Centroids.Length; e += RowsPerGroup)
            table[e] = Centroids[e];
        Group.Barrier();
        int row = Grid.IdxY * RowsPerGroup + thread;
        if (row >= M)
            return;
        int column = Grid.IdxX * ColumnsPerThread;
        // Columns past N read the last column instead, which keeps the inner loop free of
        // branches; their sums are never stored.
        int c1 = Math.Min(column + 1, N - 1), c2 = Math.Min(column + 2, N - 1), c3 = Math.Min(column + 3, N - 1);
        int mask = (1 << Bits) - 1;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        ulong pending = 0;
        int available = 0, k = 0, at = 0;
        int end = (row + 1) * WordsPerRow;
        for (int word = row * WordsPerRow; word < end; word++)
        {
            // New bits go above the leftover ones (fewer than b, so the shift stays below 64): an
            // index straddling two words comes out whole, with no shift of 32 to guard.
            pending |= (ulong)Indices[word] << available;
            available += 32;
            for (; available >= Bits && k < K; k++)
            {
                float weight = table[(int)pending & mask];
                pending >>= Bits;
                available -= Bits;
                s0 += weight * X[at + column];
                s1 += weight * X[at + c1];
                s2 += weight * X[at + c2];
                s3 += weight * X[at + c3];
                at += N;
            }
        }
        int start = row * N;
        Store(Y, Epilogue, start, column, N, row, s0);
        Store(Y, Epilogue, start, column + 1, N, row, s1);
        Store(Y, Epilogue, start, column + 2, N, row, s2);
        Store(Y, Epilogue, start, column + 3, N, row, s3);
    }

    /// <summary>Finishes and stores one sum unless its column lies outside Y.</summary>
    private static void Store(ArrayView<float> y, RowEpilogue epilogue, int rowStart, int column, int n, int row, float sum)
    {
        if (column < n)
            RowEpilogue.Store(epilogue, y, rowStart + column, sum, row);
    }
}
