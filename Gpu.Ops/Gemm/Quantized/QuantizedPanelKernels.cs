using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The operands of the quantized products on OpenCL runtimes on a host CPU
/// (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): W in panels of <see cref="Rows"/> rows
/// (<see cref="QuantizedWeights.Panels"/>: per step along K the panel's 16 weights are contiguous) and
/// the int8 activations, held as floats, in blocks of <see cref="Columns"/> columns, each K × 8 (per step
/// the block's 8 values contiguous, so an item streams its block and its panel); uint8 activations are stored as x − 128
/// and the row sums restore the shift and the zero point, as in <see cref="PackedQuantizedOperands"/>.
/// A work item owns one panel times <see cref="Columns"/> columns: per step it widens the panel's 16
/// weights to floats once (one vector) and multiplies them by each column's activation, so the
/// compiler packs the 16 rows of a column into vector registers. The products are summed in float
/// over runs of <see cref="ExactTerms"/> steps, where every partial sum is an integer float holds
/// exactly, then added to int32 accumulators, so the result equals the other kernels' exactly. Float
/// rather than int32 arithmetic in the loop: an integer sum is a reduction LLVM may reorder, and
/// PoCL's compiler then vectorised the loop along K instead of packing the lanes.</summary>
public struct QuantizedPanelOperands
{
    /// <summary>Rows of W per panel and work item.</summary>
    public const int Rows = GemmRowSegment.Width;

    /// <summary>Activation columns per work item.</summary>
    public const int Columns = 8;

    /// <summary>Steps along K summed in float before the int32 accumulators take the sum: each product
    /// of an int8 weight (|w| ≤ 127) and activation (|x| ≤ 128) is below 2^14 in magnitude, so 1024
    /// of them stay below 2^24, up to which float holds every integer.</summary>
    public const int ExactTerms = 1024;

    /// <summary>W in panels, <see cref="RowBlocks"/> × K × <see cref="Rows"/> (<see cref="QuantizedWeights.Panels"/>).</summary>
    public ArrayView<sbyte> Weights;
    /// <summary>Σ_k W[i, k] per row.</summary>
    public ArrayView<int> RowSums;
    /// <summary>The activations, int8 values as floats in <see cref="ColumnBlocks"/> blocks of K × <see cref="Columns"/>
    /// (<see cref="PanelActivationsKernel"/>).</summary>
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

    /// <summary>Whether the output holds a whole block of <see cref="Columns"/> columns, which the sliding
    /// last column block needs (rows need no minimum: the last panel is padded with zero rows).</summary>
    /// <param name="n">Activation columns.</param>
    public static bool Suits(int n) => n >= Columns;

    /// <summary>The work items across W's rows: its panels.</summary>
    /// <param name="m">Rows of W.</param>
    public static int RowBlocks(int m) => (m + Rows - 1) / Rows;

    /// <summary>The work items across the activation columns.</summary>
    /// <param name="n">Activation columns.</param>
    public static int ColumnBlocks(int n) => (n + Columns - 1) / Columns;

    /// <summary>The first column of a block: its own, or for the last block of an N that is no
    /// multiple of <see cref="Columns"/>, the column <see cref="Columns"/> before the end.</summary>
    /// <param name="columnBlock">The block of columns.</param>
    /// <param name="n">Activation columns.</param>
    public static int FirstColumn(int columnBlock, int n) => Math.Min(columnBlock * Columns, n - Columns);

    /// <summary>The sums <c>Σ_k W[16·panel + r, k]·a[k, c]</c> over the block's columns c, without their row-sum term:
    /// per step along K the panel's weights widened once and one activation per column, each
    /// multiply-add exact.</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="panel">The item's panel of rows.</param>
    /// <param name="columnBlock">The item's block of columns.</param>
    /// <returns>The block's accumulators, one 16-row segment per column.</returns>
    internal static QuantizedPanelBlock Accumulate(QuantizedPanelOperands operands, int panel, int columnBlock)
    {
        long w = (long)panel * operands.K * Rows, x = (long)columnBlock * operands.K * Columns;
        Int32Segment s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int start = 0; start < operands.K; start += ExactTerms)
        {
            int end = Math.Min(operands.K, start + ExactTerms);
            GemmRowSegment f0 = default, f1 = default, f2 = default, f3 = default, f4 = default, f5 = default, f6 = default, f7 = default;
            for (int k = start; k < end; k++, w += Rows, x += Columns)
            {
                var weights = GemmRowSegment.Load(operands.Weights, w);
                f0 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 0], weights, f0);
                f1 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 1], weights, f1);
                f2 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 2], weights, f2);
                f3 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 3], weights, f3);
                f4 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 4], weights, f4);
                f5 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 5], weights, f5);
                f6 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 6], weights, f6);
                f7 = GemmRowSegment.MultiplyAdd(operands.Activations[x + 7], weights, f7);
            }
            s0 = Int32Segment.Add(s0, f0);
            s1 = Int32Segment.Add(s1, f1);
            s2 = Int32Segment.Add(s2, f2);
            s3 = Int32Segment.Add(s3, f3);
            s4 = Int32Segment.Add(s4, f4);
            s5 = Int32Segment.Add(s5, f5);
            s6 = Int32Segment.Add(s6, f6);
            s7 = Int32Segment.Add(s7, f7);
        }
        return new QuantizedPanelBlock { C0 = s0, C1 = s1, C2 = s2, C3 = s3, C4 = s4, C5 = s5, C6 = s6, C7 = s7 };
    }

    /// <summary>The row-sum term of <paramref name="row"/>.</summary>
    /// <param name="operands">The operands.</param>
    /// <param name="row">Row of W.</param>
    public static int Correction(QuantizedPanelOperands operands, int row) => operands.RowSumFactor * operands.RowSums[row];
}

/// <summary>The accumulators of a <see cref="QuantizedPanelOperands.Rows"/> × <see cref="QuantizedPanelOperands.Columns"/>
/// block, one segment of 16 rows per column.</summary>
internal struct QuantizedPanelBlock
{
    /// <summary>The block's columns, first to last.</summary>
    public Int32Segment C0, C1, C2, C3, C4, C5, C6, C7;
}

/// <summary>Where a <see cref="QuantizedPanelKernel{TStore}"/> puts each finished accumulator.</summary>
public interface IQuantizedPanelStore
{
    /// <summary>Stores output (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <param name="row">Output row.</param>
    /// <param name="column">Output column.</param>
    /// <param name="accumulator">The exact int32 accumulator, its row-sum term included.</param>
    void Store(int row, int column, int accumulator);
}

/// <summary>Writes the exact int32 accumulators, M×N.</summary>
public struct QuantizedAccumulatorStore : IQuantizedPanelStore
{
    /// <summary>The accumulators, M×N.</summary>
    public ArrayView<int> Accumulators;
    /// <summary>Columns of the output.</summary>
    public int N;

    /// <inheritdoc/>
    public readonly void Store(int row, int column, int accumulator) => Accumulators[row * N + column] = accumulator;
}

/// <summary>Dequantises each accumulator through <see cref="QuantizedOutput.Store"/>, as the packed kernels do.</summary>
public struct QuantizedOutputStore : IQuantizedPanelStore
{
    /// <summary>Scales, output, bias and activation.</summary>
    public QuantizedOutput Output;

    /// <inheritdoc/>
    public readonly void Store(int row, int column, int accumulator) => QuantizedOutput.Store(Output, row, column, accumulator);
}

/// <summary>The quantized product on the panel schedule of <see cref="QuantizedPanelOperands"/>: exact
/// accumulators (<see cref="QuantizedAccumulatorStore"/>) or dequantised outputs (<see cref="QuantizedOutputStore"/>).
/// Launched over <see cref="QuantizedPanelOperands.RowBlocks"/> × <see cref="QuantizedPanelOperands.ColumnBlocks"/>.</summary>
/// <typeparam name="TStore">Where the outputs go.</typeparam>
public struct QuantizedPanelKernel<TStore> : IKernel2D where TStore : struct, IQuantizedPanelStore
{
    /// <summary>The integer operands.</summary>
    public QuantizedPanelOperands Operands;
    /// <summary>Where the outputs go.</summary>
    public TStore Output;

    /// <summary>Computes one block of outputs.</summary>
    /// <param name="panel">Which 16 rows.</param>
    /// <param name="columnBlock">Which 8 columns.</param>
    public void Execute(int panel, int columnBlock)
    {
        int column0 = QuantizedPanelOperands.FirstColumn(columnBlock, Operands.N);
        var block = QuantizedPanelOperands.Accumulate(Operands, panel, columnBlock);
        // The columns before the item's own belong to the neighbouring item, which stores them.
        int firstColumn = columnBlock * QuantizedPanelOperands.Columns, row0 = panel * QuantizedPanelOperands.Rows;
        StoreColumn(row0, column0 + 0, firstColumn, block.C0);
        StoreColumn(row0, column0 + 1, firstColumn, block.C1);
        StoreColumn(row0, column0 + 2, firstColumn, block.C2);
        StoreColumn(row0, column0 + 3, firstColumn, block.C3);
        StoreColumn(row0, column0 + 4, firstColumn, block.C4);
        StoreColumn(row0, column0 + 5, firstColumn, block.C5);
        StoreColumn(row0, column0 + 6, firstColumn, block.C6);
        StoreColumn(row0, column0 + 7, firstColumn, block.C7);
    }

    /// <summary>Stores the rows of one column that exist (the last panel's padding rows do not).</summary>
    private readonly void StoreColumn(int row0, int column, int firstColumn, Int32Segment sums)
    {
        if (column < firstColumn)
            return;
        StoreLane(row0 + 0, column, sums.V0);
        StoreLane(row0 + 1, column, sums.V1);
        StoreLane(row0 + 2, column, sums.V2);
        StoreLane(row0 + 3, column, sums.V3);
        StoreLane(row0 + 4, column, sums.V4);
        StoreLane(row0 + 5, column, sums.V5);
        StoreLane(row0 + 6, column, sums.V6);
        StoreLane(row0 + 7, column, sums.V7);
        StoreLane(row0 + 8, column, sums.V8);
        StoreLane(row0 + 9, column, sums.V9);
        StoreLane(row0 + 10, column, sums.V10);
        StoreLane(row0 + 11, column, sums.V11);
        StoreLane(row0 + 12, column, sums.V12);
        StoreLane(row0 + 13, column, sums.V13);
        StoreLane(row0 + 14, column, sums.V14);
        StoreLane(row0 + 15, column, sums.V15);
    }

    private readonly void StoreLane(int row, int column, int sum)
    {
        if (row < Operands.M)
            Output.Store(row, column, sum + QuantizedPanelOperands.Correction(Operands, row));
    }
}

/// <summary>Writes <see cref="QuantizedPanelOperands.Activations"/> (blocks of K × 8 columns, the last block
/// sliding back like the outputs) from the sources <see cref="PackActivationsKernel"/> reads (bytes N×K, or
/// floats K×N it quantizes), with the same int8 values (the top bit of uint8 values flipped), as floats.
/// Launched over <see cref="QuantizedPanelOperands.ColumnBlocks"/> · 8 × K.</summary>
internal struct PanelActivationsKernel : IKernel2D
{
    /// <summary>The source, quantizer, flip and shape (its packed output is unused).</summary>
    public PackActivationsKernel Source;
    /// <summary>The activations, K×N.</summary>
    public ArrayView<float> Transposed;

    /// <summary>Writes one value.</summary>
    /// <param name="slot">Block · 8 + the column's place in it.</param>
    /// <param name="k">Position along K.</param>
    public void Execute(int slot, int k)
    {
        int block = slot / QuantizedPanelOperands.Columns, lane = slot % QuantizedPanelOperands.Columns;
        int column = QuantizedPanelOperands.FirstColumn(block, Source.N) + lane;
        Transposed[((long)block * Source.K + k) * QuantizedPanelOperands.Columns + lane] = (sbyte)Source.Value(k, column);
    }
}
