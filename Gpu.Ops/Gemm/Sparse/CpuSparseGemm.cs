using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>CPU paths of the sparse products. At N = 1 each output is a dot product: CSR gathers
/// X through its indices, 1×8 blocks load eight consecutive X values as one vector. At N &gt; 1
/// each non-zero adds a scaled row of X to the output row, vectorised over N; CSR does so a
/// <see cref="CpuRows.ColumnTile"/> of columns at a time.</summary>
internal static unsafe class CpuSparseGemm
{
    public static bool TryMultiply(Accelerator accelerator, CsrGemmKernel kernel, int rows)
    {
        if (!CpuRows.IsSupported || !accelerator.IsHostAddressable())
            return false;
        var csr = new CsrRows(kernel);
        int n = kernel.N;
        if (n == 1)
        {
            CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
            {
                // Locals, not the captured struct's fields: stores through y would otherwise make the JIT reload every field per row.
                int* pointers = csr.Pointers, columns = csr.Columns;
                float* values = csr.Values, x = csr.X, y = csr.Y;
                var epilogue = csr.Epilogue;
                for (int row = first; row < end; row++)
                {
                    // Read whether or not the product accumulates: one float costs less than asking.
                    float previous = y[row];
                    y[row] = GatherDot(values, columns, x, pointers[row], pointers[row + 1]);
                    epilogue.Finish(y + row, 1, row, &previous);
                }
            });
            return true;
        }
        if (n <= CpuRows.ColumnTile)
        {
            // One tile of columns would leave every core but one idle, and packing X buys nothing at this width: split the rows instead.
            CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
            {
                for (int row = first; row < end; row++)
                    AccumulateRow(csr, row, 0, n, csr.X);
            });
            return true;
        }
        CpuRows.ForEachColumnTile(kernel.X, (int)(kernel.X.Length / n), n, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, width, tile) =>
        {
            for (int row = 0; row < rows; row++)
                AccumulateRow(csr, row, start, width, tile);
        });
        return true;
    }

    /// <summary>The host addresses of a CSR product's views, found once per call: ILGPU's host indexer
    /// checks every access, which the row loops should not pay per row.</summary>
    private readonly struct CsrRows(in CsrGemmKernel kernel)
    {
        public readonly int* Pointers = CpuRows.Pointer(kernel.RowPointers), Columns = CpuRows.Pointer(kernel.ColumnIndices);
        public readonly float* Values = CpuRows.Pointer(kernel.Values), X = CpuRows.Pointer(kernel.X), Y = CpuRows.Pointer(kernel.Y);
        public readonly int N = kernel.N;
        public readonly CpuRows.HostRowEpilogue Epilogue = new(kernel.Epilogue);
    }

    /// <summary>Columns [start, start + width) of one output row: each non-zero adds its scaled row of
    /// <paramref name="xRows"/> (rows <paramref name="width"/> floats apart), then the epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateRow(in CsrRows csr, int row, int start, int width, float* xRows)
    {
        float* yRow = csr.Y + (long)row * csr.N + start;
        float* previous = csr.Epilogue.KeepPrevious(yRow, width);
        new Span<float>(yRow, width).Clear();
        for (int p = csr.Pointers[row]; p < csr.Pointers[row + 1]; p++)
            CpuRows.Axpy(yRow, csr.Values[p], xRows + (long)csr.Columns[p] * width, width);
        csr.Epilogue.Finish(yRow, width, row, previous);
    }

    /// <summary>Σ values[p]·x[columns[p]] over [p, stop): eight non-zeros per gather, two
    /// accumulators to hide the FMA latency; faster than scalar loads of each index and X value for a
    /// 4096² weight at 90 % sparsity (`bench gemm`'s CSR linear at batch 1, alternating runs).</summary>
    /// <remarks>The indices come from <see cref="CsrMatrix.FromDense(Accelerator, ReadOnlySpan{float}, int, int, ReadOnlySpan{bool})"/>,
    /// which only stores columns inside W, so no gathered address leaves X.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float GatherDot(float* values, int* columns, float* x, int p, int stop)
    {
        Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
        for (; p + 16 <= stop; p += 16)
        {
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(values + p), Avx2.GatherVector256(x, Avx.LoadVector256(columns + p), sizeof(float)), s0);
            s1 = Fma.MultiplyAdd(Avx.LoadVector256(values + p + 8), Avx2.GatherVector256(x, Avx.LoadVector256(columns + p + 8), sizeof(float)), s1);
        }
        if (p + 8 <= stop)
        {
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(values + p), Avx2.GatherVector256(x, Avx.LoadVector256(columns + p), sizeof(float)), s0);
            p += 8;
        }
        float sum = CpuRows.Sum(s0 + s1);
        for (; p < stop; p++)
            sum += values[p] * x[columns[p]];
        return sum;
    }

    public static bool TryMultiply(Accelerator accelerator, BlockSparseGemmKernel kernel, int rows)
    {
        if (!CpuRows.IsSupported || !accelerator.IsHostAddressable())
            return false;
        const int width = BlockSparseMatrix.BlockWidth;
        var epilogue = new CpuRows.HostRowEpilogue(kernel.Epilogue);
        CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            int* pointers = CpuRows.Pointer(kernel.BlockPointers), starts = CpuRows.Pointer(kernel.BlockColumns);
            float* values = CpuRows.Pointer(kernel.Values), x = CpuRows.Pointer(kernel.X), y = CpuRows.Pointer(kernel.Y);
            int n = kernel.N, k = kernel.K;
            for (int row = first; row < end; row++)
            {
                int block = pointers[row], stop = pointers[row + 1];
                float* yRow = y + (long)row * n;
                float* previous = epilogue.KeepPrevious(yRow, n);
                if (n == 1)
                {
                    Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
                    float tail = 0f;
                    for (; block < stop; block++)
                    {
                        int start = starts[block];
                        float* w = values + (long)block * width;
                        if (start + width <= k)
                        {
                            // Two accumulators hide the FMA latency across consecutive blocks.
                            if ((block & 1) == 0)
                                s0 = Fma.MultiplyAdd(Avx.LoadVector256(w), Avx.LoadVector256(x + start), s0);
                            else
                                s1 = Fma.MultiplyAdd(Avx.LoadVector256(w), Avx.LoadVector256(x + start), s1);
                        }
                        else
                        {
                            for (int t = 0; start + t < k; t++)
                                tail += w[t] * x[start + t];
                        }
                    }
                    *yRow = CpuRows.Sum(s0 + s1) + tail;
                }
                else
                {
                    new Span<float>(yRow, n).Clear();
                    for (; block < stop; block++)
                    {
                        int start = starts[block];
                        float* w = values + (long)block * width;
                        int valid = Math.Min(width, k - start);
                        for (int t = 0; t < valid; t++)
                            CpuRows.Axpy(yRow, w[t], x + (long)(start + t) * n, n);
                    }
                }
                epilogue.Finish(yRow, n, row, previous);
            }
        });
        return true;
    }
}
