namespace Gpu.Conformance;

/// <summary>Comparisons that throw <see cref="ConformanceException"/> naming the first mismatch.</summary>
public static class Check
{
    /// <summary>Every element equal (bitwise for floats, so NaN matches NaN and -0 differs from +0).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="what">What is being compared, for the message.</param>
    /// <param name="expected">The host's result.</param>
    /// <param name="actual">The device's result.</param>
    public static void Exact<T>(string what, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual) where T : unmanaged, IEquatable<T>
    {
        Length(what, expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!BitwiseEqual(expected[i], actual[i]))
                throw new ConformanceException($"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Every float within <paramref name="maxUlps"/> units in the last place (NaN only matches NaN).</summary>
    /// <param name="what">What is being compared, for the message.</param>
    /// <param name="expected">The host's result.</param>
    /// <param name="actual">The device's result.</param>
    /// <param name="maxUlps">The bound.</param>
    public static void WithinUlps(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int maxUlps)
    {
        Length(what, expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            long distance = UlpDistance(expected[i], actual[i]);
            if (distance > maxUlps)
                throw new ConformanceException($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} ({(distance == long.MaxValue ? "NaN mismatch" : $"{distance} ulp")} > {maxUlps} ulp)");
        }
    }

    /// <summary>Units in the last place between two floats; <see cref="long.MaxValue"/> when exactly one is NaN.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other.</param>
    public static long UlpDistance(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
            return float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue;
        static long Ordered(float f)
        {
            int bits = BitConverter.SingleToInt32Bits(f);
            return bits < 0 ? int.MinValue - (long)bits : bits;
        }
        return Math.Abs(Ordered(a) - Ordered(b));
    }

    private static void Length(string what, int expected, int actual)
    {
        if (expected != actual)
            throw new ConformanceException($"{what}: expected {expected} elements, got {actual}");
    }

    private static bool BitwiseEqual<T>(T a, T b) where T : unmanaged, IEquatable<T> => a switch
    {
        float x => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits((float)(object)b),
        double x => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits((double)(object)b),
        _ => a.Equals(b),
    };
}
