using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The operands of the quantized products on the <see cref="RowSegments"/> schedule
/// (OpenCL runtimes on a host CPU): W as stored (M×K int8) and the int8 activations transposed to
/// K×N and held as floats, so the 16 columns of an item are contiguous at each step along K; uint8
/// activations are stored as x − 128 and the row sums restore the shift and the zero point, as in
/// <see cref="PackedQuantizedOperands"/>. A work item owns <see cref="Rows"/> rows of W, which
/// share each loaded activation segment. The products are summed in float over runs of
/// <see cref="ExactTerms"/> steps, where every partial sum is an integer float holds exactly, then
/// added to int32 accumulators, so the result equals the other kernels' exactly. Float rather than
/// int32 arithmetic in the loop: an integer sum is a reduction LLVM may reorder, and PoCL's
/// compiler then vectorised the loop along K, gathering the activations a row apart, instead of
/// packing the 16 columns; a float sum it may not reorder, and the loop's lanes are packed.</summary>
public struct QuantizedRowSegmentOperands
{
    /// <summary>Rows of W per work item.</summary>
    public const int Rows = 4;

    /// <summary>Steps along K summed in float before the int32 accumulators take the sum: each product
    /// of an int8 weight (|w| ≤ 127) and activation (|x| ≤ 128) is below 2^14 in magnitude, so 1024
    /// of them stay below 2^24, up to which float holds every integer.</summary>
    public const int ExactTerms = 1024;

    /// <summary>W, M×K int8 (<see cref="QuantizedWeights.Values"/>).</summary>
    public ArrayView<sbyte> Weights;
    /// <summary>Σ_k W[i, k] per row.</summary>
    public ArrayView<int> RowSums;
    /// <summary>The activations, K×N int8 values as floats (<see cref="RowSegmentActivationsKernel"/>).</summary>
    public ArrayView<float> Activations;
    /// <summary>The multiple of a row's sum that completes the product: 128 − zero point for
    /// uint8 activations, 0 for int8.</summary>
    public int RowSumFactor;
    /// <summary>Rows of W.</summary>
    public int M;
    /// <summary>The reduced dimension.</summary>
    public int K;
    /// <summary>Activation columns.</summary>
    public int N;

    /// <summary>Whether the output holds a whole block of <see cref="Rows"/> rows and
    /// <see cref="RowSegments.Width"/> columns, which the sliding edge blocks need.</summary>
    /// <param name="m">Rows of W.</param>
    /// <param name="n">Activation columns.</param>
    public static bool Suits(int m, int n) => m >= Rows && RowSegments.Suits(n);

    /// <summary>The work items across W's rows.</summary>
    /// <param name="m">Rows of W.</param>
    public static int RowBlocks(int m) => (m + Rows - 1) / Rows;

    /// <summary>The first row an item computes: its own, or for the last block of an M that is no
    /// multiple of <see cref="Rows"/>, the row <see cref="Rows"/> before the end.</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="rowBlock">The item's block of rows.</param>
    public static int LoadRow(QuantizedRowSegmentOperands operands, int rowBlock) => Math.Min(rowBlock * Rows, operands.M - Rows);

    /// <summary>The sums <c>Σ_k W[row0 + r, k]·a[k, column0 + j]</c> without their row-sum term:
    /// per step along K one segment of activations, shared by the block's four rows, and one
    /// weight per row, each multiply-add exact.</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="row0">First row of the block.</param>
    /// <param name="column0">First column of the segment.</param>
    /// <returns>The four rows' accumulators.</returns>
    internal static QuantizedRowBlock Accumulate(QuantizedRowSegmentOperands operands, int row0, int column0)
    {
        long w0 = (long)row0 * operands.K, w1 = w0 + operands.K, w2 = w1 + operands.K, w3 = w2 + operands.K;
        long x = column0;
        Int32RowSegment s0 = default, s1 = default, s2 = default, s3 = default;
        for (int start = 0; start < operands.K; start += ExactTerms)
        {
            int end = Math.Min(operands.K, start + ExactTerms);
            GemmRowSegment f0 = default, f1 = default, f2 = default, f3 = default;
            for (int k = start; k < end; k++, x += operands.N)
            {
                var a = GemmRowSegment.Load(operands.Activations, x);
                f0 = GemmRowSegment.MultiplyAdd(operands.Weights[w0 + k], a, f0);
                f1 = GemmRowSegment.MultiplyAdd(operands.Weights[w1 + k], a, f1);
                f2 = GemmRowSegment.MultiplyAdd(operands.Weights[w2 + k], a, f2);
                f3 = GemmRowSegment.MultiplyAdd(operands.Weights[w3 + k], a, f3);
            }
            s0 = Int32RowSegment.Add(s0, f0);
            s1 = Int32RowSegment.Add(s1, f1);
            s2 = Int32RowSegment.Add(s2, f2);
            s3 = Int32RowSegment.Add(s3, f3);
        }
        return new QuantizedRowBlock { R0 = s0, R1 = s1, R2 = s2, R3 = s3 };
    }

    /// <summary>The row-sum term of <paramref name="row"/>.</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="row">Row of W.</param>
    public static int Correction(QuantizedRowSegmentOperands operands, int row) => operands.RowSumFactor * operands.RowSums[row];
}

/// <summary>The accumulators of a <see cref="QuantizedRowSegmentOperands.Rows"/> × 16 block.</summary>
internal struct QuantizedRowBlock
{
    /// <summary>The block's rows, first to last.</summary>
    public Int32RowSegment R0, R1, R2, R3;
}

/// <summary>The exact int32 accumulators on the <see cref="RowSegments"/> schedule. Launched over
/// <see cref="QuantizedRowSegmentOperands.RowBlocks"/> × <see cref="RowSegments.Segments"/>.</summary>
public struct QuantizedRowSegmentAccumulateKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedRowSegmentOperands Operands;
    /// <summary>The accumulators, M×N.</summary>
    public ArrayView<int> Accumulators;

    /// <summary>Computes one block of accumulators.</summary>
    /// <param name="rowBlock">Which four rows.</param>
    /// <param name="segment">Which 16 columns.</param>
    public void Execute(int rowBlock, int segment)
    {
        int row0 = QuantizedRowSegmentOperands.LoadRow(Operands, rowBlock), column0 = RowSegments.LoadColumn(segment, Operands.N);
        var block = QuantizedRowSegmentOperands.Accumulate(Operands, row0, column0);
        int firstRow = rowBlock * QuantizedRowSegmentOperands.Rows, skip = segment * RowSegments.Width - column0;
        StoreRow(Operands, Accumulators, row0 + 0, firstRow, column0, skip, block.R0);
        StoreRow(Operands, Accumulators, row0 + 1, firstRow, column0, skip, block.R1);
        StoreRow(Operands, Accumulators, row0 + 2, firstRow, column0, skip, block.R2);
        StoreRow(Operands, Accumulators, row0 + 3, firstRow, column0, skip, block.R3);
    }

    /// <summary>Stores one row of the block unless it belongs to the neighbouring item (before <paramref name="firstRow"/>).</summary>
    private static void StoreRow(QuantizedRowSegmentOperands operands, ArrayView<int> accumulators, int row, int firstRow, int column0, int skip, Int32RowSegment sums)
    {
        if (row >= firstRow)
            Int32RowSegment.Store(accumulators, (long)row * operands.N + column0, skip, sums, QuantizedRowSegmentOperands.Correction(operands, row));
    }
}

/// <summary>The dequantised product <c>Y = act(s_w[i] · s_x · acc + bias[i])</c> on the
/// <see cref="RowSegments"/> schedule: each row's scale and row-sum term are applied once per
/// 16 outputs, after the integer loop. Launched over <see cref="QuantizedRowSegmentOperands.RowBlocks"/>
/// × <see cref="RowSegments.Segments"/>.</summary>
public struct QuantizedRowSegmentGemmKernel : IKernel2D
{
    /// <summary>The integer operands.</summary>
    public QuantizedRowSegmentOperands Operands;
    /// <summary>Scales, output, bias and activation.</summary>
    public QuantizedOutput Output;

    /// <summary>Computes one block of outputs.</summary>
    /// <param name="rowBlock">Which four rows.</param>
    /// <param name="segment">Which 16 columns.</param>
    public void Execute(int rowBlock, int segment)
    {
        int row0 = QuantizedRowSegmentOperands.LoadRow(Operands, rowBlock), column0 = RowSegments.LoadColumn(segment, Operands.N);
        var block = QuantizedRowSegmentOperands.Accumulate(Operands, row0, column0);
        int firstRow = rowBlock * QuantizedRowSegmentOperands.Rows, firstColumn = segment * RowSegments.Width;
        StoreRow(Operands, Output, row0 + 0, firstRow, column0, firstColumn, block.R0);
        StoreRow(Operands, Output, row0 + 1, firstRow, column0, firstColumn, block.R1);
        StoreRow(Operands, Output, row0 + 2, firstRow, column0, firstColumn, block.R2);
        StoreRow(Operands, Output, row0 + 3, firstRow, column0, firstColumn, block.R3);
    }

    /// <summary>Dequantises and stores one row of the block unless it belongs to the neighbouring item.</summary>
    private static void StoreRow(QuantizedRowSegmentOperands operands, QuantizedOutput output, int row, int firstRow, int column0, int firstColumn, Int32RowSegment sums)
    {
        if (row < firstRow)
            return;
        // The factor is formed as QuantizedOutput.Store forms it, so the rounding is the same.
        float factor = output.WeightScales[row] * output.ActivationScale;
        var values = Int32RowSegment.Dequantise(sums, QuantizedRowSegmentOperands.Correction(operands, row), factor);
        RowSegments.Store(output.Y, output.Epilogue, row, operands.N, column0, firstColumn, values);
    }
}

/// <summary>Writes <see cref="QuantizedRowSegmentOperands.Activations"/> (K×N) from the sources
/// <see cref="PackActivationsKernel"/> reads (bytes N×K, or floats K×N it quantizes), with the same
/// int8 values (the top bit of uint8 values flipped), as floats. Launched over N × K.</summary>
internal struct RowSegmentActivationsKernel : IKernel2D
{
    /// <summary>The source, quantizer, flip and shape (its packed output is unused).</summary>
    public PackActivationsKernel Source;
    /// <summary>The activations, K×N.</summary>
    public ArrayView<float> Transposed;

    /// <summary>Writes one value.</summary>
    /// <param name="column">Activation column.</param>
    /// <param name="k">Position along K.</param>
    public void Execute(int column, int k) => Transposed[(long)k * Source.N + column] = (sbyte)Source.Value(k, column);
}
