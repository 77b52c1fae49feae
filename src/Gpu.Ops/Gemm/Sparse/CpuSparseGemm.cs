using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>CPU paths of the sparse products. At N = 1 each output is a dot product: CSR gathers
/// X through its indices, 1×8 blocks load eight consecutive X values as one vector. At N &gt; 1
/// each non-zero adds a scaled row of X to the output row, vectorised over N.</summary>
internal static unsafe class CpuSparseGemm
{
    public static bool TryMultiply(Accelerator accelerator, CsrGemmKernel kernel, int rows)
    {
        if (!CpuRows.IsSupported || !accelerator.IsHostAddressable())
            return false;
        CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            int* pointers = CpuRows.Pointer(kernel.RowPointers), columns = CpuRows.Pointer(kernel.ColumnIndices);
            float* values = CpuRows.Pointer(kernel.Values), x = CpuRows.Pointer(kernel.X), y = CpuRows.Pointer(kernel.Y);
            int n = kernel.N;
            for (int row = first; row < end; row++)
            {
                int p = pointers[row], stop = pointers[row + 1];
                float* yRow = y + (long)row * n;
                if (n == 1)
                {
                    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                    for (; p + 4 <= stop; p += 4)
                    {
                        s0 += values[p] * x[columns[p]];
                        s1 += values[p + 1] * x[columns[p + 1]];
                        s2 += values[p + 2] * x[columns[p + 2]];
                        s3 += values[p + 3] * x[columns[p + 3]];
                    }
                    for (; p < stop; p++)
                        s0 += values[p] * x[columns[p]];
                    *yRow = (s0 + s1) + (s2 + s3);
                }
                else
                {
                    new Span<float>(yRow, n).Clear();
                    for (; p < stop; p++)
                        CpuRows.Axpy(yRow, values[p], x + (long)columns[p] * n, n);
                }
                CpuRows.Finish(yRow, n, row, kernel.Epilogue);
            }
        });
        return true;
    }

    public static bool TryMultiply(Accelerator accelerator, BlockSparseGemmKernel kernel, int rows)
    {
        if (!CpuRows.IsSupported || !accelerator.IsHostAddressable())
            return false;
        const int width = BlockSparseMatrix.BlockWidth;
        CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            int* pointers = CpuRows.Pointer(kernel.BlockPointers), starts = CpuRows.Pointer(kernel.BlockColumns);
            float* values = CpuRows.Pointer(kernel.Values), x = CpuRows.Pointer(kernel.X), y = CpuRows.Pointer(kernel.Y);
            int n = kernel.N, k = kernel.K;
            for (int row = first; row < end; row++)
            {
                int block = pointers[row], stop = pointers[row + 1];
                float* yRow = y + (long)row * n;
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
                CpuRows.Finish(yRow, n, row, kernel.Epilogue);
            }
        });
        return true;
    }
}
