using Gpu.Core;

namespace Gpu.Ops.Gemm;

/// <summary>The dense GEMM for OpenCL runtimes on a host CPU (PoCL): one work item per
/// 8×{<see cref="Columns"/>} block of C, K looped inside the item, no shared memory and no
/// barriers. Such runtimes run a group's items as loops and spill every value that lives across a
/// barrier to memory, so the GPU schedule (<see cref="TiledGemmKernel"/>) pays for its staging
/// more than it gains; here the 8 rows of accumulators stay in registers. Per step along K the item
/// loads one row segment of op(B) (contiguous when B is not transposed, the compiler's vector
/// load), broadcasts 8 elements of op(A) and does 8×{<see cref="Columns"/>} fused multiply-adds,
/// which the SLP vectoriser packs into vector FMAs. Rows past M repeat the last row and columns
/// past N the last column, so the K loop reads inside the operands without masks; the extra
/// results are dropped at the store, where the epilogue is fused.</summary>
public struct RegisterBlockedGemmKernel : IKernel2D
{
    /// <summary>Rows of C per work item.</summary>
    public const int Rows = 8;
    /// <summary>Columns of C per work item.</summary>
    public const int Columns = GemmRowSegment.Width;

    /// <summary>The views and their strides.</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>The work items across C's columns.</summary>
    /// <param name="shape">The product's shape.</param>
    public static int ColumnBlocks(GemmShape shape) => (shape.N + Columns - 1) / Columns;

    /// <summary>The work items across C's rows.</summary>
    /// <param name="shape">The product's shape.</param>
    public static int RowBlocks(GemmShape shape) => (shape.M + Rows - 1) / Rows;

    /// <summary>The kernel for <paramref name="shape"/>: transposes become strides.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over <see cref="ColumnBlocks"/> × <see cref="RowBlocks"/>.</returns>
    public static RegisterBlockedGemmKernel For(GemmShape shape, View<float> a, View<float> b, View<float> c, GemmEpilogue epilogue) => new()
    {
        Operands = StridedGemmOperands.Of(shape, a, b, c), Epilogue = epilogue,
    };

    /// <summary>One work item: the block of C at column block <paramref name="x"/>, row block <paramref name="y"/>.</summary>
    /// <param name="x">Column block.</param>
    /// <param name="y">Row block.</param>
    public void Execute(int x, int y)
    {
        int row0 = y * Rows, column0 = x * Columns;
        int lastRow = Operands.M - 1, lastColumn = Operands.N - 1;
        int a0 = Math.Min(row0 + 0, lastRow) * Operands.ARowStride;
        int a1 = Math.Min(row0 + 1, lastRow) * Operands.ARowStride;
        int a2 = Math.Min(row0 + 2, lastRow) * Operands.ARowStride;
        int a3 = Math.Min(row0 + 3, lastRow) * Operands.ARowStride;
        int a4 = Math.Min(row0 + 4, lastRow) * Operands.ARowStride;
        int a5 = Math.Min(row0 + 5, lastRow) * Operands.ARowStride;
        int a6 = Math.Min(row0 + 6, lastRow) * Operands.ARowStride;
        int a7 = Math.Min(row0 + 7, lastRow) * Operands.ARowStride;
        // One B row segment is a single vector load only when its columns are adjacent and all inside C.
        bool contiguous = Operands.BColumnStride == 1 && column0 + Columns <= Operands.N;
        GemmRowSegment c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int k = 0; k < Operands.K; k++)
        {
            int aStep = k * Operands.AStepStride, bStep = k * Operands.BStepStride;
            var b = contiguous
                ? GemmRowSegment.Load(Operands.B, bStep + column0)
                : GemmRowSegment.LoadClamped(Operands.B, bStep, column0, lastColumn, Operands.BColumnStride);
            c0 = GemmRowSegment.MultiplyAdd(Operands.A[a0 + aStep], b, c0);
            c1 = GemmRowSegment.MultiplyAdd(Operands.A[a1 + aStep], b, c1);
            c2 = GemmRowSegment.MultiplyAdd(Operands.A[a2 + aStep], b, c2);
            c3 = GemmRowSegment.MultiplyAdd(Operands.A[a3 + aStep], b, c3);
            c4 = GemmRowSegment.MultiplyAdd(Operands.A[a4 + aStep], b, c4);
            c5 = GemmRowSegment.MultiplyAdd(Operands.A[a5 + aStep], b, c5);
            c6 = GemmRowSegment.MultiplyAdd(Operands.A[a6 + aStep], b, c6);
            c7 = GemmRowSegment.MultiplyAdd(Operands.A[a7 + aStep], b, c7);
        }
        StoreRow(Operands, Epilogue, row0 + 0, column0, c0);
        StoreRow(Operands, Epilogue, row0 + 1, column0, c1);
        StoreRow(Operands, Epilogue, row0 + 2, column0, c2);
        StoreRow(Operands, Epilogue, row0 + 3, column0, c3);
        StoreRow(Operands, Epilogue, row0 + 4, column0, c4);
        StoreRow(Operands, Epilogue, row0 + 5, column0, c5);
        StoreRow(Operands, Epilogue, row0 + 6, column0, c6);
        StoreRow(Operands, Epilogue, row0 + 7, column0, c7);
    }

    /// <summary>Finishes and stores one row of an item's block, skipping what lies outside C.</summary>
    private static void StoreRow(StridedGemmOperands operands, GemmEpilogue epilogue, int row, int column, GemmRowSegment values)
    {
        if (row >= operands.M)
            return;
        int at = row * operands.N;
        Store(operands, epilogue, at, column + 0, values.V0);
        Store(operands, epilogue, at, column + 1, values.V1);
        Store(operands, epilogue, at, column + 2, values.V2);
        Store(operands, epilogue, at, column + 3, values.V3);
        Store(operands, epilogue, at, column + 4, values.V4);
        Store(operands, epilogue, at, column + 5, values.V5);
        Store(operands, epilogue, at, column + 6, values.V6);
        Store(operands, epilogue, at, column + 7, values.V7);
        Store(operands, epilogue, at, column + 8, values.V8);
        Store(operands, epilogue, at, column + 9, values.V9);
        Store(operands, epilogue, at, column + 10, values.V10);
        Store(operands, epilogue, at, column + 11, values.V11);
        Store(operands, epilogue, at, column + 12, values.V12);
        Store(operands, epilogue, at, column + 13, values.V13);
        Store(operands, epilogue, at, column + 14, values.V14);
        Store(operands, epilogue, at, column + 15, values.V15);
    }

    private static void Store(StridedGemmOperands operands, GemmEpilogue epilogue, int rowStart, int column, float product)
    {
        if (column < operands.N)
            operands.C[rowStart + column] = GemmEpilogue.Apply(epilogue, product, operands.C[rowStart + column], column);
    }
}
