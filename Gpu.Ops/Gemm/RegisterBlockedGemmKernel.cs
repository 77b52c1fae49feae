using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The dense GEMM for OpenCL runtimes on a host CPU (PoCL): one work item per
/// 8×16 block of C, K looped inside the item, no shared memory and no barriers. Such runtimes run
/// a group's items as loops and keep every value that lives across a barrier in memory, so the GPU
/// schedule (<see cref="TiledGemmKernel"/>) pays more for its staging than it gains; here the block's
/// accumulators stay in registers. Both operands are read from panels: op(A) from the row panels
/// <see cref="GemmRowPanelKernel"/> copies it into, op(B) from the column panels of
/// <see cref="GemmColumnPanelKernel"/> (copied per call, or once for a layer's weight by
/// <see cref="DenseGemm.PackB"/>), so per step along K the item loads one contiguous 16-wide segment of
/// B, broadcasts 8 adjacent elements of A and does 8×16 fused multiply-adds, which the compiler's SLP
/// vectoriser packs into vector FMAs. C must hold at least one whole block (<see cref="Suits"/>): the
/// last blocks slide back inside C, so every block is whole and its loads need no masks; the rows and
/// columns a slid block shares with its neighbour are stored by the neighbour alone. The epilogue is
/// fused into the store.</summary>
public struct RegisterBlockedGemmKernel : IKernel2D
{
    /// <summary>Rows of C per work item.</summary>
    public const int Rows = GemmRegisterBlock.Rows;
    /// <summary>Columns of C per work item.</summary>
    public const int Columns = GemmRowSegment.Width;

    /// <summary>M, N, K and C; A holds op(A)'s row panels (<see cref="GemmRowPanelKernel"/>), B op(B)'s
    /// column panels (<see cref="GemmColumnPanelKernel"/>).</summary>
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

    /// <summary>The kernel for <paramref name="shape"/>, reading both operands from their panels.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="rowPanels">op(A) as <see cref="GemmRowPanelKernel"/> writes it.</param>
    /// <param name="columnPanels">op(B) as <see cref="GemmColumnPanelKernel"/> writes it.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <returns>The kernel, to launch over <see cref="ColumnBlocks"/> × <see cref="RowBlocks"/>.</returns>
    /// <exception cref="ArgumentException">C is smaller than a block.</exception>
    public static RegisterBlockedGemmKernel For(GemmShape shape, ArrayView<float> rowPanels, ArrayView<float> columnPanels, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (!Suits(shape))
            throw new ArgumentException($"The register-blocked GEMM needs C of at least {Rows}×{Columns}; got {shape}.", nameof(shape));
        return new() { Operands = StridedGemmOperands.Of(shape, rowPanels, columnPanels, c), Epilogue = epilogue };
    }

    /// <summary>Copies op(A) and op(B) into panels and launches the kernel (for few rows of C, the column walk
    /// <see cref="RegisterBlockedColumnGemmKernel"/>): C = act(α·op(A)·op(B) + β·C + bias).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">The product's shape (C of a block at least).</param>
    /// <param name="a">A as stored.</param>
    /// <param name="b">B as stored.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <exception cref="ArgumentException">C is smaller than a block.</exception>
    public static void Launch(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
        => Launch(accelerator, shape, a, b, c, epilogue, PrefersColumnWalk(accelerator, shape));

    /// <summary><see cref="Launch(Accelerator, GemmShape, ArrayView{float}, ArrayView{float}, ArrayView{float}, GemmEpilogue)"/>
    /// with the schedule given: one item per block, or the column walk (which tests run at any size).</summary>
    internal static void Launch(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue,
        bool walkColumns)
    {
        using var columnPanels = accelerator.RentScratch<float>(GemmColumnPanelKernel.PanelLength(shape));
        PackColumns(accelerator, shape, b, columnPanels.View);
        LaunchOnColumnPanels(accelerator, shape, a, columnPanels.View, c, epilogue, walkColumns);
    }

    /// <summary>Copies op(B) of <paramref name="shape"/> into the column panels the kernel reads.</summary>
    internal static void PackColumns(Accelerator accelerator, GemmShape shape, ArrayView<float> b, ArrayView<float> columnPanels)
        => accelerator.Launch(shape.K, ColumnBlocks(shape), GemmColumnPanelKernel.For(shape, b, columnPanels));

    /// <summary>Whether the column walk is the faster schedule for <paramref name="shape"/> on <paramref name="accelerator"/>.</summary>
    internal static bool PrefersColumnWalk(Accelerator accelerator, GemmShape shape)
        => RegisterBlockedColumnGemmKernel.Suits(shape, accelerator.Device.ComputeUnits);

    /// <summary>Copies op(A) into row panels and launches the kernel on op(B) already in column panels.</summary>
    internal static void LaunchOnColumnPanels(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> columnPanels, ArrayView<float> c,
        GemmEpilogue epilogue, bool walkColumns)
    {
        using var rowPanels = accelerator.RentScratch<float>(GemmRowPanelKernel.PanelLength(shape));
        var kernel = For(shape, rowPanels.View, columnPanels, c, epilogue);
        accelerator.Launch(shape.K, RowBlocks(shape), GemmRowPanelKernel.For(shape, a, rowPanels.View));
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
        var block = GemmRegisterBlock.Accumulate(new GemmRowPanel { Panels = operands.A, Start = (long)y * operands.K * Rows }, operands.B, (long)x * operands.K * Columns, operands.K);
        StoreRow(operands, epilogue, row0 + 0, firstRow, column0, firstColumn, block.R0);
        StoreRow(operands, epilogue, row0 + 1, firstRow, column0, firstColumn, block.R1);
        StoreRow(operands, epilogue, row0 + 2, firstRow, column0, firstColumn, block.R2);
        StoreRow(operands, epilogue, row0 + 3, firstRow, column0, firstColumn, block.R3);
        StoreRow(operands, epilogue, row0 + 4, firstRow, column0, firstColumn, block.R4);
        StoreRow(operands, epilogue, row0 + 5, firstRow, column0, firstColumn, block.R5);
        StoreRow(operands, epilogue, row0 + 6, firstRow, column0, firstColumn, block.R6);
        StoreRow(operands, epilogue, row0 + 7, firstRow, column0, firstColumn, block.R7);
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
