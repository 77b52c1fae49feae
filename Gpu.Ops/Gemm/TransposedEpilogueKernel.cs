using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Writes C from its transpose computed apart (<see cref="WeightRowsGemmKernel"/>'s Cᵀ), the
/// epilogue applied on the way: <c>C[i, j] = act(α·Cᵀ[j, i] + β·C[i, j] + bias[j])</c>.</summary>
public struct TransposedEpilogueKernel : IKernel2D
{
    /// <summary>Cᵀ: one row per column of C, <see cref="RowStride"/> elements apart.</summary>
    public ArrayView<float> Products;
    /// <summary>Elements between consecutive rows of <see cref="Products"/>.</summary>
    public int RowStride;
    /// <summary>C, M×N.</summary>
    public ArrayView<float> C;
    /// <summary>Columns of C.</summary>
    public int N;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>The kernel writing C of <paramref name="shape"/> from <paramref name="products"/>; launch it over N × M items.</summary>
    public static TransposedEpilogueKernel For(GemmShape shape, ArrayView<float> products, int rowStride, ArrayView<float> c, GemmEpilogue epilogue) => new()
    {
        Products = products, RowStride = rowStride, C = c, N = shape.N, Epilogue = epilogue,
    };

    /// <summary>C at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public void Execute(int column, int row)
    {
        long at = (long)row * N + column;
        C[at] = GemmEpilogue.Apply(Epilogue, Products[(long)column * RowStride + row], C[at], column);
    }
}
