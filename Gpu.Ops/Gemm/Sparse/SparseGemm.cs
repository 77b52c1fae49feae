using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>Pruned-weight products <c>Y (M×N) = act(W·X + bias)</c>, or <c>act(W·X + Y + bias)</c> accumulating: W sparse (M×K), X dense
/// (K×N, row-major), bias per row of W. With X an im2col matrix this is a convolution
/// (<see cref="SparseConv2d"/>); with N the batch, a linear layer on column-major activations.
/// OpenCL runtimes on a host CPU take a row-segment schedule from 16 columns on (<see cref="RowSegments"/>).</summary>
public static class SparseGemm
{
    /// <summary>Multiplies a CSR weight by dense activations.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten or added to.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="scale">M factors applied before the bias (a folded norm), or empty.</param>
    /// <param name="output">Whether Y is overwritten or the product added to it (before the bias and activation).</param>
    /// <exception cref="ArgumentException">A view's length does not match, a view or the weights belong to
    /// another accelerator, Y shares memory with X, the bias or the scale, or the weights' structure was written out of range.</exception>
    /// <exception cref="ObjectDisposedException">The weights, a view's buffer or the accelerator is disposed.</exception>
    public static void Multiply(Accelerator accelerator, CsrMatrix weights, ArrayView<float> x, ArrayView<float> y, int n,
        ArrayView<float> bias = default, Activation activation = default, ArrayView<float> scale = default, ProductOutput output = ProductOutput.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        SparseShape.CheckScale(weights.Rows, scale.Length);
        CheckOperands(accelerator, weights.Values.View, x, y, bias);
        accelerator.CheckView(scale);
        OperandChecks.Disjoint(scale, y);
        var (rowPointers, columnIndices) = weights.CheckedStructure();
        var kernel = new CsrGemmKernel
        {
            RowPointers = rowPointers, ColumnIndices = columnIndices, Values = weights.Values.View,
            X = x, Y = y, N = n, Epilogue = RowEpilogue.Create(scale, bias, activation, output),
        };
        if (accelerator.IsHostAddressable() && CpuSparseGemm.TryMultiply(accelerator, kernel, weights.Rows))
            return;
        if (accelerator.Device.PrefersBarrierFreeSchedule() && RowSegments.Suits(n))
            accelerator.Launch(weights.Rows, RowSegments.Segments(n), new CsrRowSegmentKernel { Product = kernel });
        else
            accelerator.Launch(n, weights.Rows, kernel);
    }

    /// <summary>Multiplies a 1×8 block-sparse weight by dense activations.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten or added to.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="output">Whether Y is overwritten or the product added to it (before the bias and activation).</param>
    /// <exception cref="ArgumentException">A view's length does not match, a view or the weights belong to
    /// another accelerator, Y shares memory with X or the bias, or the weights' structure was written out of range.</exception>
    /// <exception cref="ObjectDisposedException">The weights, a view's buffer or the accelerator is disposed.</exception>
    public static void Multiply(Accelerator accelerator, BlockSparseMatrix weights, ArrayView<float> x, ArrayView<float> y, int n,
        ArrayView<float> bias = default, Activation activation = default, ProductOutput output = ProductOutput.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        CheckOperands(accelerator, weights.Values.View, x, y, bias);
        var (blockPointers, blockColumns) = weights.CheckedStructure();
        var kernel = new BlockSparseGemmKernel
        {
            BlockPointers = blockPointers, BlockColumns = blockColumns, Values = weights.Values.View,
            X = x, Y = y, N = n, K = weights.Columns, Epilogue = RowEpilogue.Create(default, bias, activation, output),
        };
        if (accelerator.IsHostAddressable() && CpuSparseGemm.TryMultiply(accelerator, kernel, weights.Rows))
            return;
        if (accelerator.Device.PrefersBarrierFreeSchedule() && RowSegments.Suits(n))
            accelerator.Launch(weights.Rows, RowSegments.Segments(n), new BlockSparseRowSegmentKernel { Product = kernel });
        else if (accelerator.Device.PrefersBarrierFreeSchedule() && n == 1)
            accelerator.Launch(weights.Rows, new BlockSparseDotKernel { Product = kernel });
        else
            accelerator.Launch(n, weights.Rows, kernel);
    }

    private static void CheckOperands(Accelerator accelerator, ArrayView<float> weights, ArrayView<float> x, ArrayView<float> y, ArrayView<float> bias)
    {
        accelerator.CheckView(weights);
        accelerator.CheckView(x);
        accelerator.CheckView(y);
        accelerator.CheckView(bias);
        OperandChecks.Disjoint(x, y);
        OperandChecks.Disjoint(bias, y);
    }
}
