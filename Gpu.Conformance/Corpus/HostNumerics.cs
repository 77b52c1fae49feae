using System.Numerics;

namespace Gpu.Conformance.Corpus;

/// <summary>Host-side definitions of .NET's numeric rules written from their statements rather
/// than with the casts under test, so an expectation does not merely repeat the kernel's code.</summary>
internal static class HostNumerics
{
    /// <summary>.NET float → integer: truncate toward zero, saturate to the target's range, NaN gives 0.</summary>
    public static BigInteger SaturatedTruncation(double x, BigInteger min, BigInteger max)
        => double.IsNaN(x) ? BigInteger.Zero
        : double.IsInfinity(x) ? (x > 0 ? max : min)
        : BigInteger.Clamp(new BigInteger(Math.Truncate(x)), min, max);

    /// <summary>.NET (x64) float → 8/16-bit integer: saturate to int first, then wrap to the width.</summary>
    public static long SmallFromFloat(double x, int bits, bool signed)
        => Wrap(SaturatedTruncation(x, int.MinValue, int.MaxValue), bits, signed);

    /// <summary>The low <paramref name="bits"/> bits of <paramref name="value"/>, read as signed or unsigned.</summary>
    public static long Wrap(BigInteger value, int bits, bool signed)
    {
        var modulus = BigInteger.One << bits;
        var low = ((value % modulus) + modulus) % modulus;
        return (long)(signed && low >= modulus / 2 ? low - modulus : low);
    }

    /// <summary><paramref name="value"/> rounded to nearest-even with <paramref name="mantissaBits"/>
    /// significant bits (24 for float, 53 for double); the result is representable, so the final
    /// conversion to double is exact.</summary>
    public static double RoundToSignificantBits(BigInteger value, int mantissaBits)
    {
        var magnitude = BigInteger.Abs(value);
        int length = (int)magnitude.GetBitLength();
        if (length <= mantissaBits)
            return (double)value;
        int shift = length - mantissaBits;
        var kept = magnitude >> shift;
        var dropped = magnitude - (kept << shift);
        var half = BigInteger.One << (shift - 1);
        if (dropped > half || (dropped == half && !kept.IsEven))
            kept += 1;
        double rounded = Math.ScaleB((double)kept, shift);
        return value.Sign < 0 ? -rounded : rounded;
    }

    /// <summary>The bits an IEEE comparison of a and b sets: less, equal, greater, or unordered (NaN).</summary>
    public static (bool Less, bool Equal, bool Greater, bool Unordered) Compare(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
            return (false, false, false, true);
        // Total order of the non-NaN values, in which -0 and +0 are equal.
        int order = a.CompareTo(b);
        return (order < 0, order == 0, order > 0, false);
    }
}
