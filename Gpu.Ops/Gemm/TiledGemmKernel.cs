using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The GPU dense GEMM: a group of 16×16 threads computes a 64×64 tile of C. Per step of
/// 16 along K the group stages a 64×16 slice of op(A) and a 16×64 slice of op(B) in shared memory,
/// then each thread accumulates a 4×4 register block from it, so every loaded element is reused 64
/// times from shared memory and each shared read feeds four multiply-adds. A thread's rows and
/// columns are 16 apart (not adjacent) so neighbouring threads touch neighbouring columns: the
/// shared reads of B and the stores of C are contiguous across a warp. Edges (any M, N, K) are
/// zero-filled when staged and masked when stored; the epilogue is fused into the store.</summary>
public struct TiledGemmKernel : IGroupKernel
{
    /// <summary>Rows and columns of C per group.</summary>
    public const int Tile = 64;
    /// <summary>Steps along K staged per barrier pair.</summary>
    public const int Depth = 16;
    /// <summary>Threads per group side; each computes (Tile / Threads)² outputs.</summary>
    public const int Threads = 16;

    /// <summary>The views and their strides.</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>Whether the tiles pay: with fewer than half a tile of rows or columns most of each
    /// group's work is padding. (Measured on PoCL: M = 1 and 16 at N = K = 512 ran 66× and 8×
    /// slower tiled than with the portable kernel; M = 128 ran even, 512³ 2–3× faster tiled.)</summary>
    /// <param name="shape">The product's shape.</param>
    /// <returns>True when C has at least <see cref="Tile"/>/2 rows and columns.</returns>
    public static bool Suits(GemmShape shape) => shape.M >= Tile / 2 && shape.N >= Tile / 2;

    /// <summary>The grouped launch covering C.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <returns>One 16×16-thread group per 64×64 tile of C.</returns>
    public static GroupedExtent ExtentOf(GemmShape shape)
        => new((shape.N + Tile - 1) / Tile, (shape.M + Tile - 1) / Tile, 1, Threads, Threads, 1);

    /// <summary>The kernel for <paramref name="shape"/>: transposes become strides.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over <see cref="ExtentOf"/>.</returns>
    public static TiledGemmKernel For(GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue) => new()
    {
        Operands = StridedGemmOperands.Of(shape, a, b, c), Epilogue = epilogue,
    };

    /// <summary>One thread: a 4×4 block of C, rows and columns strided by <see cref="Threads"/>.</summary>
    public void Execute()
    {
        ArrayView<float> aTile = SharedMemory.Allocate<float>(Depth * Tile);
        ArrayView<float> bTile = SharedMemory.Allocate<float>(Depth * Tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int thread = ty * Threads + tx;
        int row0 = Grid.IdxY * Tile, column0 = Grid.IdxX * Tile;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int k0 = 0; k0 < Operands.K; k0 += Depth)
        {
            for (int e = thread; e < Depth * Tile; e += Threads * Threads)
            {
                // Consecutive threads load consecutive addresses of whichever dimension is
                // contiguous in memory, so the global reads coalesce for either transpose.
                int aStep = Operands.AStepStride == 1 ? e % Depth : e / Tile;
                int aRow = Operands.AStepStride == 1 ? e / Depth : e % Tile;
                int row = row0 + aRow, k = k0 + aStep;
                aTile[aStep * Tile + aRow] = row < Operands.M && k < Operands.K ? Operands.A[row * Operands.ARowStride + k * Operands.AStepStride] : 0f;
                int bStep = Operands.BColumnStride == 1 ? e / Tile : e % Depth;
                int bColumn = Operands.BColumnStride == 1 ? e % Tile : e / Depth;
                int column = column0 + bColumn, kb = k0 + bStep;
                bTile[bStep * Tile + bColumn] = column < Operands.N && kb < Operands.K ? Operands.B[kb * Operands.BStepStride + column * Operands.BColumnStride] : 0f;
            }
            Group.Barrier();
            for (int s = 0; s < Depth; s++)
            {
                int at = s * Tile;
                float a0 = aTile[at + ty], a1 = aTile[at + ty + Threads], a2 = aTile[at + ty + 2 * Threads], a3 = aTile[at + ty + 3 * Threads];
                float b0 = bTile[at + tx], b1 = bTile[at + tx + Threads], b2 = bTile[at + tx + 2 * Threads], b3 = bTile[at + tx + 3 * Threads];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int firstRow = row0 + ty, firstColumn = column0 + tx;
        StoreRow(Operands.C, Epilogue, Operands.M, Operands.N, firstRow, firstColumn, c00, c01, c02, c03);
        StoreRow(Operands.C, Epilogue, Operands.M, Operands.N, firstRow + Threads, firstColumn, c10, c11, c12, c13);
        StoreRow(Operands.C, Epilogue, Operands.M, Operands.N, firstRow + 2 * Threads, firstColumn, c20, c21, c22, c23);
        StoreRow(Operands.C, Epilogue, Operands.M, Operands.N, firstRow + 3 * Threads, firstColumn, c30, c31, c32, c33);
    }

    /// <summary>Finishes and stores one row of a thread's block, skipping what lies outside C.</summary>
    private static void StoreRow(ArrayView<float> c, GemmEpilogue epilogue, int m, int n, int row, int column,
        float v0, float v1, float v2, float v3)
    {
        if (row >= m)
            return;
        int at = row * n + column;
        if (column < n)
            c[at] = GemmEpilogue.Apply(epilogue, v0, c[at], column);
        if (column + Threads < n)
            c[at + Threads] = GemmEpilogue.Apply(epilogue, v1, c[at + Threads], column + Threads);
        if (column + 2 * Threads < n)
            c[at + 2 * Threads] = GemmEpilogue.Apply(epilogue, v2, c[at + 2 * Threads], column + 2 * Threads);
        if (column + 3 * Threads < n)
            c[at + 3 * Threads] = GemmEpilogue.Apply(epilogue, v3, c[at + 3 * Threads], column + 3 * Threads);
    }
}
