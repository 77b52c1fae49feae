using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The dense GEMM against a transposed B read as it is stored (a linear layer's weight, N×K)
/// for OpenCL runtimes on a host CPU (PoCL), where the register-blocked kernel would first copy the
/// whole weight into column panels. It computes Cᵀ = W·Aᵀ: A, copied per call into column panels of
/// 16 rows (<see cref="GemmColumnPanelKernel"/>; 256 KiB each at K = 4096), supplies the 16-wide
/// segment read along K, and each work item broadcasts 8 rows of the weight read in place, walking
/// every panel of A in turn, so the weight is streamed from memory once and its 8 rows stay in the
/// item's cache over the walk; the register block is <see cref="GemmRegisterBlock"/>'s. The items store
/// their blocks as they are, one contiguous segment per weight row, and
/// <see cref="TransposedEpilogueKernel"/> then writes C: with the epilogue and the transposing stores in
/// this kernel, the compiler's vectoriser gathered each step's 8 weight elements instead of
/// broadcasting them one by one, several times slower.</summary>
public struct WeightRowsGemmKernel : IKernel1D
{
    /// <summary>Rows of the weight (columns of C) per work item.</summary>
    public const int Columns = GemmRegisterBlock.Rows;

    /// <summary>Aᵀ in column panels of <see cref="GemmRowSegment.Width"/> lanes (rows of A), the last slid back inside A.</summary>
    public ArrayView<float> BatchPanels;
    /// <summary>The weight, N×K as stored.</summary>
    public ArrayView<float> Weight;
    /// <summary>Receives Cᵀ: N rows of <see cref="ProductStride"/> lanes, one per row of A.</summary>
    public ArrayView<float> Products;
    /// <summary>Rows of A.</summary>
    public int M;
    /// <summary>Columns of C.</summary>
    public int N;
    /// <summary>The reduced dimension.</summary>
    public int K;

    /// <summary>Whether the kernel takes a product of <paramref name="shape"/>: B transposed, A not, and at
    /// least <see cref="Columns"/> columns of C.</summary>
    public static bool Suits(GemmShape shape) => shape.TransposeB && !shape.TransposeA && shape.N >= Columns;

    /// <summary>The work items: one per <see cref="Columns"/> columns of C, the last slid back inside C.</summary>
    public static int Items(GemmShape shape) => (shape.N + Columns - 1) / Columns;

    /// <summary>Elements per row of Cᵀ: the rows of A, or a whole panel's lanes when A has fewer.</summary>
    public static int ProductStride(int rows) => Math.Max(rows, GemmRowSegment.Width);

    /// <summary>Copies A into its panels, launches the kernel and the epilogue: C = act(α·A·Bᵀ + β·C + bias).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">The product's shape (<see cref="Suits"/>).</param>
    /// <param name="a">A, M×K.</param>
    /// <param name="b">B, N×K.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <exception cref="ArgumentException">The shape does not suit the kernel.</exception>
    public static void Launch(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (!Suits(shape))
            throw new ArgumentException($"The weight-rows GEMM takes A untransposed, B transposed and at least {Columns} columns of C; got {shape}.", nameof(shape));
        // A (M×K) is the transposed B of the product Cᵀ = W·Aᵀ, whose column panels hold Aᵀ.
        var panelShape = BatchPanelShape(shape);
        using var panels = accelerator.RentScratch<float>(GemmColumnPanelKernel.PanelLength(panelShape));
        using var products = accelerator.RentScratch<float>((long)shape.N * ProductStride(shape.M));
        RegisterBlockedGemmKernel.PackColumns(accelerator, panelShape, a, panels.View);
        accelerator.Launch(Items(shape), new WeightRowsGemmKernel { BatchPanels = panels.View, Weight = b, Products = products.View, M = shape.M, N = shape.N, K = shape.K });
        accelerator.Launch(shape.N, shape.M, TransposedEpilogueKernel.For(shape, products.View, ProductStride(shape.M), c, epilogue));
    }

    /// <summary>The shape whose op(B) is Aᵀ, for the panel copy.</summary>
    private static GemmShape BatchPanelShape(GemmShape shape) => new(RegisterBlockedGemmKernel.Rows, shape.M, shape.K, TransposeB: true);

    /// <summary>Rows <c>8·item</c> to <c>8·item + 7</c> of Cᵀ (slid back at the edge), every panel of A in turn.</summary>
    public void Execute(int item)
    {
        const int width = GemmRowSegment.Width;
        int firstColumn = item * Columns, column0 = Math.Min(firstColumn, N - Columns);
        int stride = ProductStride(M), panels = (M + width - 1) / width;
        var rows = new GemmRowsInPlace { Matrix = Weight, Start = (long)column0 * K, Stride = K };
        for (int panel = 0; panel < panels; panel++)
        {
            var block = GemmRegisterBlock.Accumulate(rows, BatchPanels, (long)panel * K * width, K);
            // The panel's lanes are rows firstRow.. of A: the last panel slides back as its copy did.
            long at = (long)column0 * stride + Math.Max(0, Math.Min(panel * width, M - width));
            StoreColumn(Products, at + 0L * stride, column0 + 0 >= firstColumn, block.R0);
            StoreColumn(Products, at + 1L * stride, column0 + 1 >= firstColumn, block.R1);
            StoreColumn(Products, at + 2L * stride, column0 + 2 >= firstColumn, block.R2);
            StoreColumn(Products, at + 3L * stride, column0 + 3 >= firstColumn, block.R3);
            StoreColumn(Products, at + 4L * stride, column0 + 4 >= firstColumn, block.R4);
            StoreColumn(Products, at + 5L * stride, column0 + 5 >= firstColumn, block.R5);
            StoreColumn(Products, at + 6L * stride, column0 + 6 >= firstColumn, block.R6);
            StoreColumn(Products, at + 7L * stride, column0 + 7 >= firstColumn, block.R7);
        }
    }

    /// <summary>Stores one row of Cᵀ's block unless it belongs to the neighbour a slid block overlaps.</summary>
    private static void StoreColumn(ArrayView<float> products, long at, bool own, GemmRowSegment values)
    {
        if (own)
            GemmRowSegment.Store(products, at, values);
    }
}
