using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>16 consecutive columns of one row of C or of op(B), held as separate scalars rather than
/// an array: private arrays go to memory on OpenCL CPU runtimes, scalars stay in registers, where
/// the compiler's SLP vectoriser packs the lanes into vector registers (<see cref="RegisterBlockedGemmKernel"/>).</summary>
internal struct GemmRowSegment
{
    /// <summary>Columns per segment.</summary>
    public const int Width = 16;

    /// <summary>The columns, first to last.</summary>
    public float V0, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15;

    /// <summary>The 16 elements of <paramref name="source"/> from <paramref name="index"/> on: one contiguous
    /// load. The index is 64-bit because the views' offsets are: a 32-bit index that may wrap before
    /// it is widened hides from the compiler that the 16 addresses are adjacent (it gathers instead).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment Load(ArrayView<float> source, long index) => new()
    {
        V0 = source[index + 0],
        V1 = source[index + 1],
        V2 = source[index + 2],
        V3 = source[index + 3],
        V4 = source[index + 4],
        V5 = source[index + 5],
        V6 = source[index + 6],
        V7 = source[index + 7],
        V8 = source[index + 8],
        V9 = source[index + 9],
        V10 = source[index + 10],
        V11 = source[index + 11],
        V12 = source[index + 12],
        V13 = source[index + 13],
        V14 = source[index + 14],
        V15 = source[index + 15],
    };

    /// <summary>The 16 elements of <paramref name="source"/> from <paramref name="index"/> on, <paramref name="stride"/> apart
    /// (a column of a row-major matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment Load(ArrayView<float> source, long index, int stride) => new()
    {
        V0 = source[index],
        V1 = source[index + 1L * stride],
        V2 = source[index + 2L * stride],
        V3 = source[index + 3L * stride],
        V4 = source[index + 4L * stride],
        V5 = source[index + 5L * stride],
        V6 = source[index + 6L * stride],
        V7 = source[index + 7L * stride],
        V8 = source[index + 8L * stride],
        V9 = source[index + 9L * stride],
        V10 = source[index + 10L * stride],
        V11 = source[index + 11L * stride],
        V12 = source[index + 12L * stride],
        V13 = source[index + 13L * stride],
        V14 = source[index + 14L * stride],
        V15 = source[index + 15L * stride],
    };

    /// <summary>The 16 int8 values of <paramref name="source"/> from <paramref name="index"/> on, widened
    /// to floats (exactly): one contiguous load the compiler widens as a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment Load(ArrayView<sbyte> source, long index) => new()
    {
        V0 = source[index + 0],
        V1 = source[index + 1],
        V2 = source[index + 2],
        V3 = source[index + 3],
        V4 = source[index + 4],
        V5 = source[index + 5],
        V6 = source[index + 6],
        V7 = source[index + 7],
        V8 = source[index + 8],
        V9 = source[index + 9],
        V10 = source[index + 10],
        V11 = source[index + 11],
        V12 = source[index + 12],
        V13 = source[index + 13],
        V14 = source[index + 14],
        V15 = source[index + 15],
    };

    /// <summary>Writes the 16 lanes to <paramref name="target"/> from <paramref name="index"/> on: one contiguous store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ArrayView<float> target, long index, GemmRowSegment values)
    {
        target[index + 0] = values.V0;
        target[index + 1] = values.V1;
        target[index + 2] = values.V2;
        target[index + 3] = values.V3;
        target[index + 4] = values.V4;
        target[index + 5] = values.V5;
        target[index + 6] = values.V6;
        target[index + 7] = values.V7;
        target[index + 8] = values.V8;
        target[index + 9] = values.V9;
        target[index + 10] = values.V10;
        target[index + 11] = values.V11;
        target[index + 12] = values.V12;
        target[index + 13] = values.V13;
        target[index + 14] = values.V14;
        target[index + 15] = values.V15;
    }

    /// <summary><c>a·b + c</c> lane by lane, each rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment MultiplyAdd(float a, GemmRowSegment b, GemmRowSegment c) => new()
    {
        V0 = MathF.FusedMultiplyAdd(a, b.V0, c.V0),
        V1 = MathF.FusedMultiplyAdd(a, b.V1, c.V1),
        V2 = MathF.FusedMultiplyAdd(a, b.V2, c.V2),
        V3 = MathF.FusedMultiplyAdd(a, b.V3, c.V3),
        V4 = MathF.FusedMultiplyAdd(a, b.V4, c.V4),
        V5 = MathF.FusedMultiplyAdd(a, b.V5, c.V5),
        V6 = MathF.FusedMultiplyAdd(a, b.V6, c.V6),
        V7 = MathF.FusedMultiplyAdd(a, b.V7, c.V7),
        V8 = MathF.FusedMultiplyAdd(a, b.V8, c.V8),
        V9 = MathF.FusedMultiplyAdd(a, b.V9, c.V9),
        V10 = MathF.FusedMultiplyAdd(a, b.V10, c.V10),
        V11 = MathF.FusedMultiplyAdd(a, b.V11, c.V11),
        V12 = MathF.FusedMultiplyAdd(a, b.V12, c.V12),
        V13 = MathF.FusedMultiplyAdd(a, b.V13, c.V13),
        V14 = MathF.FusedMultiplyAdd(a, b.V14, c.V14),
        V15 = MathF.FusedMultiplyAdd(a, b.V15, c.V15),
    };

    /// <summary><c>a·b + c</c> lane by lane, each rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment MultiplyAdd(GemmRowSegment a, GemmRowSegment b, GemmRowSegment c) => new()
    {
        V0 = MathF.FusedMultiplyAdd(a.V0, b.V0, c.V0),
        V1 = MathF.FusedMultiplyAdd(a.V1, b.V1, c.V1),
        V2 = MathF.FusedMultiplyAdd(a.V2, b.V2, c.V2),
        V3 = MathF.FusedMultiplyAdd(a.V3, b.V3, c.V3),
        V4 = MathF.FusedMultiplyAdd(a.V4, b.V4, c.V4),
        V5 = MathF.FusedMultiplyAdd(a.V5, b.V5, c.V5),
        V6 = MathF.FusedMultiplyAdd(a.V6, b.V6, c.V6),
        V7 = MathF.FusedMultiplyAdd(a.V7, b.V7, c.V7),
        V8 = MathF.FusedMultiplyAdd(a.V8, b.V8, c.V8),
        V9 = MathF.FusedMultiplyAdd(a.V9, b.V9, c.V9),
        V10 = MathF.FusedMultiplyAdd(a.V10, b.V10, c.V10),
        V11 = MathF.FusedMultiplyAdd(a.V11, b.V11, c.V11),
        V12 = MathF.FusedMultiplyAdd(a.V12, b.V12, c.V12),
        V13 = MathF.FusedMultiplyAdd(a.V13, b.V13, c.V13),
        V14 = MathF.FusedMultiplyAdd(a.V14, b.V14, c.V14),
        V15 = MathF.FusedMultiplyAdd(a.V15, b.V15, c.V15),
    };

    /// <summary>The sum of the 16 lanes, added pairwise (the tree a vector reduction takes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(GemmRowSegment values)
        => (((values.V0 + values.V8) + (values.V4 + values.V12)) + ((values.V2 + values.V10) + (values.V6 + values.V14)))
           + (((values.V1 + values.V9) + (values.V5 + values.V13)) + ((values.V3 + values.V11) + (values.V7 + values.V15)));
}
