using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The dense GEMM for OpenCL runtimes on a host CPU (PoCL): one work item per
/// 8×16 block of C, K looped inside the item, no shared memory and no barriers. Such runtimes run
/// a group's items as loops and keep every value that lives across a barrier in memory, so the GPU
/// schedule (<see cref="TiledGemmKernel"/>) pays more for its staging than it gains; here the block's
/// accumulators stay in registers. Per step along K the item loads one 16-wide row segment of B
/// (contiguous: one vector load), broadcasts 8 elements of op(A), adjacent in the row panels
/// <see cref="GemmRowPanelKernel"/> copies A into, and does 8×16 fused multiply-adds, which the
/// compiler's SLP vectoriser packs into vector FMAs. B must not be
/// transposed (<see cref="DenseGemm"/> transposes it first), and C must hold at least one whole
/// block (<see cref="Suits"/>): the last blocks slide back inside C, so every block is whole and
/// its loads need no masks; the rows and columns a slid block shares with its neighbour are
/// stored by the neighbour alone. The epilogue is fused into the store.</summary>
public struct RegisterBlockedGemmKernel : IKernel2D
{
    /// <summary>Rows of C per work item.</summary>
    public const int Rows = 8;
    /// <summary>Columns of C per work item.</summary>
    public const int Columns = GemmRowSegment.Width;

    /// <summary>The views and their strides; A holds op(A)'s row panels (<see cref="GemmRowPanelKernel"/>).</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>Whether C holds a whole block, which the sliding edge blocks need.</summary>
    /// <param name="shape">The product's shape.</param>
    public static bool Suits(GemmShape shape) => shape.M >= Rows && shape.N >= Columns;

    /// <summary>The work items across C's columns.</summary>
    /// <param name="shape">The product's shape.</param>
    public static int ColumnBlocks(GemmShape shape) => (shape.N + Columns - 1) / Columns;

    /// <summary>The work items across C's rows.</summary>
    /// <param name="shape">The product's shape.</param>
    public static int RowBlocks(GemmShape shape) => (shape.M + Rows - 1) / Rows;

    /// <summary>The kernel for <paramref name="shape"/>, reading op(A) from its row panels.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="panels">op(A) as <see cref="GemmRowPanelKernel"/> writes it.</param>
    /// <param name="b">B, K×N.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over <see cref="ColumnBlocks"/> × <see cref="RowBlocks"/>.</returns>
    /// <exception cref="ArgumentException">B is transposed or C is smaller than a block.</exception>
    public static RegisterBlockedGemmKernel For(GemmShape shape, ArrayView<float> panels, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (shape.TransposeB || !Suits(shape))
            throw new ArgumentException($"The register-blocked GEMM takes B untransposed and C of at least {Rows}×{Columns}; got {shape}.", nameof(shape));
        return new() { Operands = StridedGemmOperands.Of(shape, panels, b, c), Epilogue = epilogue };
    }

    /// <summary>Copies op(A) into row panels and launches the kernel (for few rows of C, the column walk
    /// <see cref="RegisterBlockedColumnGemmKernel"/>): C = act(α·op(A)·B + β·C + bias).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">The product's shape (B not transposed, C of a block at least).</param>
    /// <param name="a">A as stored.</param>
    /// <param name="b">B, K×N.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <exception cref="ArgumentException">B is transposed or C is smaller than a block.</exception>
    public static void Launch(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
        => Launch(accelerator, shape, a, b, c, epilogue, RegisterBlockedColumnGemmKernel.Suits(shape, accelerator.Device.ComputeUnits));

    /// <summary><see cref="Launch(Accelerator, GemmShape, ArrayView{float}, ArrayView{float}, ArrayView{float}, GemmEpilogue)"/>
    /// with the schedule given: one item per block, or the column walk (which tests run at any size).</summary>
    internal static void Launch(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue,
        bool walkColumns)
    {
        // Released under the queued launches as the transposed B's scratch is: the runtime keeps it until they finish.
        using var panels = accelerator.Allocate<float>(GemmRowPanelKernel.PanelLength(shape));
        var kernel = For(shape, panels.View, b, c, epilogue);
        accelerator.Launch(shape.K, RowBlocks(shape), GemmRowPanelKernel.For(shape, a, panels.View));
        if (walkColumns)
            accelerator.LaunchGrouped(RegisterBlockedColumnGemmKernel.ExtentOf(shape), new RegisterBlockedColumnGemmKernel { Operands = kernel.Operands, Epilogue = epilogue });
        else
            accelerator.Launch(ColumnBlocks(shape), RowBlocks(shape), kernel);
    }

    /// <summary>One work item: the block of C at column block <paramref name="x"/>, row block <paramref name="y"/>.</summary>
    /// <param name="x">Column block.</param>
    /// <param name="y">Row block.</param>
    public void Execute(int x, int y) => Block(Operands, Epilogue, x, y);

    /// <summary>Computes and stores the block of C at column block <paramref name="x"/>, row block <paramref name="y"/>.</summary>
    internal static void Block(StridedGemmOperands operands, GemmEpilogue epilogue, int x, int y)
    {
        int firstRow = y * Rows, firstColumn = x * Columns;
        int row0 = Math.Min(firstRow, operands.M - Rows), column0 = Math.Min(firstColumn, operands.N - Columns);
        GemmRowSegment c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        // 64-bit indices: a 32-bit index that may wrap before the view's 64-bit offset is added hides
        // from the compiler that a row segment's 16 addresses (and a panel step's 8) are adjacent.
        long aStep = (long)y * operands.K * Rows, bStep = column0;
        for (int k = 0; k < operands.K; k++, aStep += Rows, bStep += operands.BStepStride)
        {
            var b = GemmRowSegment.Load(operands.B, bStep);
            c0 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 0], b, c0);
            c1 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 1], b, c1);
            c2 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 2], b, c2);
            c3 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 3], b, c3);
            c4 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 4], b, c4);
            c5 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 5], b, c5);
            c6 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 6], b, c6);
            c7 = GemmRowSegment.MultiplyAdd(operands.A[aStep + 7], b, c7);
        }
        StoreRow(operands, epilogue, row0 + 0, firstRow, column0, firstColumn, c0);
        StoreRow(operands, epilogue, row0 + 1, firstRow, column0, firstColumn, c1);
        StoreRow(operands, epilogue, row0 + 2, firstRow, column0, firstColumn, c2);
        StoreRow(operands, epilogue, row0 + 3, firstRow, column0, firstColumn, c3);
        StoreRow(operands, epilogue, row0 + 4, firstRow, column0, firstColumn, c4);
        StoreRow(operands, epilogue, row0 + 5, firstRow, column0, firstColumn, c5);
        StoreRow(operands, epilogue, row0 + 6, firstRow, column0, firstColumn, c6);
        StoreRow(operands, epilogue, row0 + 7, firstRow, column0, firstColumn, c7);
    }

    /// <summary>Finishes and stores one row of an item's block, leaving the rows and columns before the
    /// item's own (<paramref name="firstRow"/>, <paramref name="firstColumn"/>) to the neighbour they belong to.</summary>
    private static void StoreRow(StridedGemmOperands operands, GemmEpilogue epilogue, int row, int firstRow, int column0, int firstColumn, GemmRowSegment values)
    {
        if (row < firstRow)
            return;
        int at = row * operands.N;
        Store(operands, epilogue, at, column0 + 0, firstColumn, values.V0);
        Store(operands, epilogue, at, column0 + 1, firstColumn, values.V1);
        Store(operands, epilogue, at, column0 + 2, firstColumn, values.V2);
        Store(operands, epilogue, at, column0 + 3, firstColumn, values.V3);
        Store(operands, epilogue, at, column0 + 4, firstColumn, values.V4);
        Store(operands, epilogue, at, column0 + 5, firstColumn, values.V5);
        Store(operands, epilogue, at, column0 + 6, firstColumn, values.V6);
        Store(operands, epilogue, at, column0 + 7, firstColumn, values.V7);
        Store(operands, epilogue, at, column0 + 8, firstColumn, values.V8);
        Store(operands, epilogue, at, column0 + 9, firstColumn, values.V9);
        Store(operands, epilogue, at, column0 + 10, firstColumn, values.V10);
        Store(operands, epilogue, at, column0 + 11, firstColumn, values.V11);
        Store(operands, epilogue, at, column0 + 12, firstColumn, values.V12);
        Store(operands, epilogue, at, column0 + 13, firstColumn, values.V13);
        Store(operands, epilogue, at, column0 + 14, firstColumn, values.V14);
        Store(operands, epilogue, at, column0 + 15, firstColumn, values.V15);
    }

    private static void Store(StridedGemmOperands operands, GemmEpilogue epilogue, int rowStart, int column, int firstColumn, float product)
    {
        if (column >= firstColumn)
            operands.C[rowStart + column] = GemmEpilogue.Apply(epilogue, product, operands.C[rowStart + column], column);
    }
}
