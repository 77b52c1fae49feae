using System.Numerics;

namespace Gpu.Conformance.Corpus;

/// <summary>Float comparisons the corpus needs beyond <see cref="Check"/>: the sign of zero matters
/// (C# gives -0 where it gives -0), while a NaN's payload does not (devices differ in the NaN they
/// produce; NaN literals are compared bit-exactly with <see cref="Check.Exact{T}"/> instead).</summary>
public static class CorpusCheck
{
    /// <summary>Every float within <paramref name="maxUlps"/> of the host's, zeros of the same sign, NaN where NaN.</summary>
    /// <param name="what">What is being compared, for the message.</param>
    /// <param name="expected">The host's result.</param>
    /// <param name="actual">The device's result.</param>
    /// <param name="maxUlps">The bound; 0 demands the C# result bit for bit (up to NaN payloads).</param>
    public static void Floats(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int maxUlps)
    {
        Length(what, expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Compare(what, i, expected[i], actual[i], Check.UlpDistance(expected[i], actual[i]),
                float.IsNegative(expected[i]) != float.IsNegative(actual[i]), maxUlps);
    }

    /// <summary>Every double within <paramref name="maxUlps"/> of the host's, zeros of the same sign, NaN where NaN.</summary>
    /// <param name="what">What is being compared, for the message.</param>
    /// <param name="expected">The host's result.</param>
    /// <param name="actual">The device's result.</param>
    /// <param name="maxUlps">The bound; 0 demands the C# result bit for bit (up to NaN payloads).</param>
    public static void Doubles(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, int maxUlps)
    {
        Length(what, expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Compare(what, i, expected[i], actual[i], UlpDistance(expected[i], actual[i]),
                double.IsNegative(expected[i]) != double.IsNegative(actual[i]), maxUlps);
    }

    /// <summary>Units in the last place between two doubles; <see cref="long.MaxValue"/> when exactly one is NaN
    /// or the distance does not fit.</summary>
    /// <param name="a">One value.</param>
    /// <param name="b">The other.</param>
    public static long UlpDistance(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
            return double.IsNaN(a) && double.IsNaN(b) ? 0 : long.MaxValue;
        static Int128 Ordered(double d)
        {
            long bits = BitConverter.DoubleToInt64Bits(d);
            return bits < 0 ? (Int128)long.MinValue - bits : bits;
        }
        var distance = Int128.Abs(Ordered(a) - Ordered(b));
        return distance > long.MaxValue ? long.MaxValue : (long)distance;
    }

    private static void Compare<T>(string what, int index, T expected, T actual, long distance, bool signsDiffer, int maxUlps)
        where T : IFloatingPointIeee754<T>
    {
        // Both zero with different signs is 0 ulp apart but a different C# value (1/x tells them apart).
        bool zeroSignMismatch = T.IsZero(expected) && T.IsZero(actual) && signsDiffer;
        if (distance > maxUlps || zeroSignMismatch)
            throw new ConformanceException($"{what}[{index}]: expected {expected:R}, got {actual:R} ("
                + (zeroSignMismatch ? "sign of zero" : distance == long.MaxValue ? "NaN mismatch" : $"{distance} ulp") + $" > {maxUlps} ulp)");
    }

    private static void Length(string what, int expected, int actual)
    {
        if (expected != actual)
            throw new ConformanceException($"{what}: expected {expected} elements, got {actual}");
    }
}
