using Gpu.Core;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>Pruned-weight products <c>Y (M×N) = act(W·X + bias)</c>: W sparse (M×K), X dense
/// (K×N, row-major), bias per row of W. With X an im2col matrix this is a convolution
/// (<see cref="SparseConv2d"/>); with N the batch, a linear layer on column-major activations.</summary>
public static class SparseGemm
{
    /// <summary>Multiplies a CSR weight by dense activations.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <exception cref="ArgumentException">A view's length does not match.</exception>
    public static void Multiply(Accelerator accelerator, CsrMatrix weights, View<float> x, View<float> y, int n,
        View<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        var kernel = new CsrGemmKernel
        {
            RowPointers = weights.RowPointers.View, ColumnIndices = weights.ColumnIndices.View, Values = weights.Values.View,
            X = x, Y = y, N = n, Epilogue = RowEpilogue.Create(bias, activation),
        };
        if (accelerator.IsHostAddressable() && CpuSparseGemm.TryMultiply(accelerator, kernel, weights.Rows))
            return;
        accelerator.Launch(n, weights.Rows, kernel);
    }

    /// <summary>Multiplies a 1×8 block-sparse weight by dense activations.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <exception cref="ArgumentException">A view's length does not match.</exception>
    public static void Multiply(Accelerator accelerator, BlockSparseMatrix weights, View<float> x, View<float> y, int n,
        View<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        var kernel = new BlockSparseGemmKernel
        {
            BlockPointers = weights.BlockPointers.View, BlockColumns = weights.BlockColumns.View, Values = weights.Values.View,
            X = x, Y = y, N = n, K = weights.Columns, Epilogue = RowEpilogue.Create(bias, activation),
        };
        if (accelerator.IsHostAddressable() && CpuSparseGemm.TryMultiply(accelerator, kernel, weights.Rows))
            return;
        accelerator.Launch(n, weights.Rows, kernel);
    }
}
