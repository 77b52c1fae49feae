namespace Gpu.Conformance.Corpus;

/// <summary>Inputs every corpus case draws from: the boundaries where C and C# part ways.</summary>
internal static class EdgeValues
{
    public static readonly int[] Ints =
        [0, 1, -1, 2, -2, 7, -7, 31, 32, 33, 255, 256, -129, 65535, 65536, 1 << 30, int.MaxValue, int.MaxValue - 1, int.MinValue, int.MinValue + 1, 123_456_789, -987_654_321];

    public static readonly long[] Longs =
        [0, 1, -1, 3, -3, 63, 64, 65, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue, long.MinValue, long.MinValue + 1, 0x0123_4567_89AB_CDEF, -0x0123_4567_89AB_CDEF];

    public static readonly float[] Floats =
    [
        0f, -0f, 1f, -1f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.1f, 3.7f, -3.7f, 1e-3f, 100f, 1e10f, -1e10f,
        16_777_217f, 2_147_483_520f, 2_147_483_648f, -2_147_483_904f, 4_294_967_040f, 1e20f, -1e20f,
        float.Epsilon, -float.Epsilon, 1e-40f, 1.17549435e-38f, float.MaxValue, float.MinValue,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN,
    ];

    public static readonly double[] Doubles =
    [
        0d, -0d, 1d, -1d, 0.5d, -0.5d, 2.5d, 0.1d, -3.7d, 1e-3d, 1e10d, 1e20d, -1e20d, 2_147_483_647.5d, -2_147_483_648.9d,
        4_294_967_295.5d, 9.2233720368547758e18d, 1.8446744073709552e19d, 1e-310d, double.Epsilon, 1e300d,
        3.4028235677973366e38d, 3.4028234663852886e38d * 1.0000001d, 1e-45d, double.MaxValue, double.MinValue,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN,
    ];
}
