using System.Runtime.CompilerServices;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>16 int32 accumulators of a quantized product (16 rows of one output column), held as separate
/// scalars for the reason <see cref="GemmRowSegment"/>'s floats are (private arrays go to memory on
/// OpenCL CPU runtimes; the SLP vectoriser packs scalars into vector registers).</summary>
internal struct Int32Segment
{
    /// <summary>The lanes, first to last.</summary>
    public int V0, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15;

    /// <summary><c>s + exact</c> lane by lane, <paramref name="exact"/> holding integers (a partial
    /// sum of int8 products that float represents exactly), wrapping like int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int32Segment Add(Int32Segment s, GemmRowSegment exact) => new()
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
}
