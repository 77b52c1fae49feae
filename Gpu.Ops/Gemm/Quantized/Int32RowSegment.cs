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

    /// <summary><c>s + exact</c> lane by lane, <paramref name="exact"/> holding integers (a partial
    /// sum of int8 products that float represents exactly), wrapping like int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int32RowSegment Add(Int32RowSegment s, GemmRowSegment exact) => new()
    {
        V0 = s.V0 + (int)exact.V0,
        V1 = s.V1 + (int)exact.V1,
        V2 = s.V2 + (int)exact.V2,
        V3 = s.V3 + (int)exact.V3,
        V4 = s.V4 + (int)exact.V4,
        V5 = s.V5 + (int)exact.V5,
        V6 = s.V6 + (int)exact.V6,
        V7 = s.V7 + (int)exact.V7,
        V8 = s.V8 + (int)exact.V8,
        V9 = s.V9 + (int)exact.V9,
        V10 = s.V10 + (int)exact.V10,
        V11 = s.V11 + (int)exact.V11,
        V12 = s.V12 + (int)exact.V12,
        V13 = s.V13 + (int)exact.V13,
        V14 = s.V14 + (int)exact.V14,
        V15 = s.V15 + (int)exact.V15,
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
