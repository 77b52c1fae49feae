using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>16 consecutive int32 accumulators of one row of a quantized product, held as separate
/// scalars for the reason <see cref="GemmRowSegment"/>'s floats are (private arrays go to memory on
/// OpenCL CPU runtimes; the SLP vectoriser packs scalars into vector registers).</summary>
internal struct Int32RowSegment
{
    /// <summary>The columns, first to last.</summary>
    public int V0, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15;

    /// <summary>The 16 int8 values of <paramref name="source"/> from <paramref name="index"/> on,
    /// sign-extended: one contiguous load (the index is 64-bit for the reason
    /// <see cref="GemmRowSegment.Load"/>'s is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int32RowSegment Load(ArrayView<sbyte> source, long index) => new()
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

    /// <summary><c>a·b + c</c> lane by lane, wrapping like int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int32RowSegment MultiplyAdd(int a, Int32RowSegment b, Int32RowSegment c) => new()
    {
        V0 = a * b.V0 + c.V0,
        V1 = a * b.V1 + c.V1,
        V2 = a * b.V2 + c.V2,
        V3 = a * b.V3 + c.V3,
        V4 = a * b.V4 + c.V4,
        V5 = a * b.V5 + c.V5,
        V6 = a * b.V6 + c.V6,
        V7 = a * b.V7 + c.V7,
        V8 = a * b.V8 + c.V8,
        V9 = a * b.V9 + c.V9,
        V10 = a * b.V10 + c.V10,
        V11 = a * b.V11 + c.V11,
        V12 = a * b.V12 + c.V12,
        V13 = a * b.V13 + c.V13,
        V14 = a * b.V14 + c.V14,
        V15 = a * b.V15 + c.V15,
    };

    /// <summary><c>factor · (s + correction)</c> lane by lane: the accumulators completed by their
    /// row's zero-point term and scaled to floats, as <see cref="QuantizedOutput.Store"/> does one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmRowSegment Dequantise(Int32RowSegment s, int correction, float factor) => new()
    {
        V0 = factor * (s.V0 + correction),
        V1 = factor * (s.V1 + correction),
        V2 = factor * (s.V2 + correction),
        V3 = factor * (s.V3 + correction),
        V4 = factor * (s.V4 + correction),
        V5 = factor * (s.V5 + correction),
        V6 = factor * (s.V6 + correction),
        V7 = factor * (s.V7 + correction),
        V8 = factor * (s.V8 + correction),
        V9 = factor * (s.V9 + correction),
        V10 = factor * (s.V10 + correction),
        V11 = factor * (s.V11 + correction),
        V12 = factor * (s.V12 + correction),
        V13 = factor * (s.V13 + correction),
        V14 = factor * (s.V14 + correction),
        V15 = factor * (s.V15 + correction),
    };

    /// <summary>Stores <c>s + correction</c> lane by lane into <paramref name="target"/> from
    /// <paramref name="index"/> on, leaving the first <paramref name="skip"/> lanes (a neighbour's).</summary>
    public static void Store(ArrayView<int> target, long index, int skip, Int32RowSegment s, int correction)
    {
        StoreLane(target, index, 0, skip, s.V0 + correction);
        StoreLane(target, index, 1, skip, s.V1 + correction);
        StoreLane(target, index, 2, skip, s.V2 + correction);
        StoreLane(target, index, 3, skip, s.V3 + correction);
        StoreLane(target, index, 4, skip, s.V4 + correction);
        StoreLane(target, index, 5, skip, s.V5 + correction);
        StoreLane(target, index, 6, skip, s.V6 + correction);
        StoreLane(target, index, 7, skip, s.V7 + correction);
        StoreLane(target, index, 8, skip, s.V8 + correction);
        StoreLane(target, index, 9, skip, s.V9 + correction);
        StoreLane(target, index, 10, skip, s.V10 + correction);
        StoreLane(target, index, 11, skip, s.V11 + correction);
        StoreLane(target, index, 12, skip, s.V12 + correction);
        StoreLane(target, index, 13, skip, s.V13 + correction);
        StoreLane(target, index, 14, skip, s.V14 + correction);
        StoreLane(target, index, 15, skip, s.V15 + correction);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLane(ArrayView<int> target, long index, int lane, int skip, int value)
    {
        if (lane >= skip)
            target[index + lane] = value;
    }
}
