using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Sequence;

/// <summary>The CPU fast path of <see cref="LstmCellKernel"/>: the same update eight cells per
/// instruction, one sequence per work item.</summary>
internal static class LstmCpuCell
{
    public static void Run(in LstmCellKernel kernel, int batch, Accelerator accelerator)
    {
        var copy = kernel;
        Parallel.For(0, batch, CpuRows.OneWorkerPerCore, b => RunRow(copy, accelerator, b));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RunRow(in LstmCellKernel k, Accelerator accelerator, int b)
    {
        int n = k.Cells;
        float* gates = HostPointers.Of(k.Gates, accelerator) + (long)b * 4 * n;
        float* previousCell = HostPointers.Of(k.PreviousCell, accelerator) + (long)b * n;
        float* cellOut = HostPointers.Of(k.Cell, accelerator) + (long)b * n;
        float* hidden = HostPointers.Of(k.Hidden, accelerator) + (long)b * n;
        float* wi = HostPointers.Of(k.PeepholeInput, accelerator), wf = HostPointers.Of(k.PeepholeForget, accelerator),
            wo = HostPointers.Of(k.PeepholeOutput, accelerator);
        int j = 0;
        for (; j + Vector256<float>.Count <= n; j += Vector256<float>.Count)
        {
            var previous = k.ZeroPrevious != 0 ? Vector256<float>.Zero : Vector256.Load(previousCell + j);
            var input = VectorMath.Sigmoid(Vector256.Load(gates + j) + Vector256.Load(wi + j) * previous);
            var forget = VectorMath.Sigmoid(Vector256.Load(gates + n + j) + Vector256.Load(wf + j) * previous);
            var candidate = VectorMath.Tanh(Vector256.Load(gates + 2 * n + j));
            var cell = forget * previous + input * candidate;
            var output = VectorMath.Sigmoid(Vector256.Load(gates + 3 * n + j) + Vector256.Load(wo + j) * cell);
            cell.Store(cellOut + j);
            (output * VectorMath.Tanh(cell)).Store(hidden + j);
        }
        // The cells past the last full vector take the portable kernel's scalar code.
        for (; j < n; j++)
            k.Execute(b * n + j);
    }
}
