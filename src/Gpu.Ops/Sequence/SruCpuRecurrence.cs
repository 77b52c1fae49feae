using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>The CPU fast path of <see cref="SruRecurrenceKernel"/>: the same recurrence, eight
/// hidden columns per instruction, one (direction, sequence) row per work item.</summary>
internal static class SruCpuRecurrence
{
    public static void Run(in SruRecurrenceKernel kernel, Accelerator accelerator)
    {
        var copy = kernel;
        Parallel.For(0, kernel.Directions * kernel.Batch, row => RunRow(copy, accelerator, row));
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
        int j = 0;
        for (; j + Vector256<float>.Count <= d; j += Vector256<float>.Count)
        {
            var vf = Vector256.Load(forgetWeights + direction * d + j);
            var vr = Vector256.Load(resetWeights + direction * d + j);
            var c = k.HasInitialCell != 0 ? Vector256.Load(initialCell + row * d + j) : Vector256<float>.Zero;
            for (int s = 0; s < k.Steps; s++)
            {
                int t = direction == 0 ? s : k.Steps - 1 - s;
                float* u = projections + (long)(t * k.Batch + b) * stride + block + j;
                var f = VectorMath.Sigmoid(Vector256.Load(u + d) + vf * c);
                var r = VectorMath.Sigmoid(Vector256.Load(u + 2 * d) + vr * c);
                c = f * c + (Vector256<float>.One - f) * Vector256.Load(u);
                var highway = k.Blocks == 4 ? Vector256.Load(u + 3 * d) : Vector256.Load(input + (long)(t * k.Batch + b) * k.InputSize + j);
                var g = k.Tanh != 0 ? VectorMath.Tanh(c) : c;
                (r * g + (Vector256<float>.One - r) * highway).Store(output + (long)(t * k.Batch + b) * k.Directions * d + direction * d + j);
            }
            c.Store(finalCell + row * d + j);
        }
        // The columns past the last full vector take the portable kernel's scalar code.
        for (; j < d; j++)
            k.Execute(row * d + j);
    }
}
