using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The schedule of the weight-times-activations products (<c>Y = W·X</c>: sparse) for OpenCL runtimes on a host CPU (PoCL, <see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>):
/// a work item owns rows of W times <see cref="Width"/> consecutive columns of X, each weight
/// scaling one contiguous row segment of X into 16 scalar accumulators per row, which the compiler
/// packs into vector registers, where the one-thread-per-element kernels keep their inner loop
/// scalar (LLVM vectorises only innermost loops, and PoCL's loop over work items is outside it).
/// The last segment slides back inside Y, so every load is whole; the columns it shares with its
/// neighbour are stored by the neighbour alone.</summary>
internal static class RowSegments
{
    /// <summary>Columns of X and Y per work item.</summary>
    public const int Width = GemmRowSegment.Width;

    /// <summary>Whether Y is wide enough for the sliding last segment.</summary>
    /// <param name="n">Columns of X and Y.</param>
    public static bool Suits(int n) => n >= Width;

    /// <summary>The work items across the columns.</summary>
    /// <param name="n">Columns of X and Y.</param>
    public static int Segments(int n) => (n + Width - 1) / Width;

    /// <summary>The first column an item's loads start at: its own, or for the last segment of a
    /// width that is no multiple of 16, the column 16 before the end.</summary>
    /// <param name="segment">The item's segment.</param>
    /// <param name="n">Columns of X and Y.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadColumn(int segment, int n) => Math.Min(segment * Width, n - Width);

    /// <summary>Finishes a row's segment with the epilogue and stores the columns from
    /// <paramref name="firstColumn"/> on (those before it belong to the neighbouring item).</summary>
    /// <param name="y">Y.</param>
    /// <param name="epilogue">Scale, bias, activation, and whether Y's previous value is added.</param>
    /// <param name="row">Row of Y.</param>
    /// <param name="n">Columns of Y.</param>
    /// <param name="column0">The column the segment's first lane holds.</param>
    /// <param name="firstColumn">The item's own first column.</param>
    /// <param name="sums">The segment's dot products.</param>
    public static void Store(ArrayView<float> y, RowEpilogue epilogue, int row, int n, int column0, int firstColumn, GemmRowSegment sums)
    {
        // The row's scale and bias are read once for its 16 columns.
        float scale = epilogue.Scale.Length != 0 ? epilogue.Scale[row] : 1f, bias = epilogue.Bias.Length != 0 ? epilogue.Bias[row] : 0f;
        long at = (long)row * n + column0;
        int skip = firstColumn - column0;
        StoreLane(y, epilogue, at, 0, skip, sums.V0, scale, bias);
        StoreLane(y, epilogue, at, 1, skip, sums.V1, scale, bias);
        StoreLane(y, epilogue, at, 2, skip, sums.V2, scale, bias);
        StoreLane(y, epilogue, at, 3, skip, sums.V3, scale, bias);
        StoreLane(y, epilogue, at, 4, skip, sums.V4, scale, bias);
        StoreLane(y, epilogue, at, 5, skip, sums.V5, scale, bias);
        StoreLane(y, epilogue, at, 6, skip, sums.V6, scale, bias);
        StoreLane(y, epilogue, at, 7, skip, sums.V7, scale, bias);
        StoreLane(y, epilogue, at, 8, skip, sums.V8, scale, bias);
        StoreLane(y, epilogue, at, 9, skip, sums.V9, scale, bias);
        StoreLane(y, epilogue, at, 10, skip, sums.V10, scale, bias);
        StoreLane(y, epilogue, at, 11, skip, sums.V11, scale, bias);
        StoreLane(y, epilogue, at, 12, skip, sums.V12, scale, bias);
        StoreLane(y, epilogue, at, 13, skip, sums.V13, scale, bias);
        StoreLane(y, epilogue, at, 14, skip, sums.V14, scale, bias);
        StoreLane(y, epilogue, at, 15, skip, sums.V15, scale, bias);
    }

    // A lane the neighbouring item stores is neither read nor written, so an accumulating product adds Y's previous value once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLane(ArrayView<float> y, RowEpilogue epilogue, long at, int lane, int skip, float sum, float scale, float bias)
    {
        if (lane < skip)
            return;
        long index = at + lane;
        y[index] = RowEpilogue.Apply(epilogue, sum, scale, bias, epilogue.Accumulate != 0 ? y[index] : 0f);
    }
}

