using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Sequence;

/// <summary>The CPU fast path of <see cref="SruRecurrenceKernel"/>: the same recurrence, eight
/// hidden columns per instruction, one (direction, sequence) row per work item.</summary>
internal static class SruCpuRecurrence
{
    public static void Run(in SruRecurrenceKernel kernel, Accelerator accelerator)
    {
        var copy = kernel;
        Parallel.For(0, kernel.Directions * kernel.Batch, CpuRows.OneWorkerPerCore, row => RunRow(copy, accelerator, row));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RunRow(in SruRecurrenceKernel k, Accelerator accelerator, int row)
    {
        float* projections = HostPointers.Of(k.Projections, accelerator), input = HostPointers.Of(k.Input, accelerator),
            output = HostPointers.Of(k.Output, accelerator), initialCell = HostPointers.Of(k.InitialCell, accelerator),
            finalCell = HostPointers.Of(k.FinalCell, accelerator), forgetWeights = HostPointers.Of(k.ForgetWeights, accelerator),
            resetWeights = HostPointers.Of(k.ResetWeights, accelerator);
        int d = k.Hidden, direction = row / k.Batch, b = row % k.Batch;
        int stride = k.Directions * k.Blocks * d, block = direction * k.Blocks * d;
        int vectorEnd = d - d % Vector256<float>.Count;
        // Step by step over the whole row, the cell state parked in the final-cell row (2 KB at
        // d = 512, in L1): each step then reads U, x and h as contiguous rows the prefetcher follows,
        // where a column at a time strode a whole (t, b) row of U (6 KB at d = 512) per load.
        float* cell = finalCell + (long)row * d;
        for (int j = 0; j < vectorEnd; j++)
            cell[j] = k.HasInitialCell != 0 ? initialCell[(long)row * d + j] : 0f;
        for (int s = 0; s < k.Steps; s++)
        {
            int t = direction == 0 ? s : k.Steps - 1 - s;
            long position = (long)t * k.Batch + b;
            float* u = projections + position * stride + block;
            float* x = input + position * k.InputSize;
            float* h = output + position * k.Directions * d + direction * d;
            for (int j = 0; j < vectorEnd; j += Vector256<float>.Count)
            {
                var c = Vector256.Load(cell + j);
                var f = VectorMath.Sigmoid(Vector256.Load(u + d + j) + Vector256.Load(forgetWeights + direction * d + j) * c);
                var r = VectorMath.Sigmoid(Vector256.Load(u + 2 * d + j) + Vector256.Load(resetWeights + direction * d + j) * c);
                c = f * c + (Vector256<float>.One - f) * Vector256.Load(u + j);
                var highway = Vector256.Load((k.Blocks == 4 ? u + 3 * d : x) + j);
                var g = k.Tanh != 0 ? VectorMath.Tanh(c) : c;
                c.Store(cell + j);
                (r * g + (Vector256<float>.One - r) * highway).Store(h + j);
            }
        }
        // The columns past the last full vector take the portable kernel's scalar code.
        for (int j = vectorEnd; j < d; j++)
            k.Execute(row * d + j);
    }
}
