using System.Globalization;

namespace Gpu.Media.Video;

/// <summary>
/// An exact ratio, as ffmpeg states frame rates (30000/1001) and pixel aspects (4:3); kept as two
/// integers because a rounded double frame rate drifts from the audio over a long video.
/// </summary>
/// <param name="Numerator">The top of the ratio.</param>
/// <param name="Denominator">The bottom of the ratio; zero only in ffmpeg's "unknown" (0/0).</param>
public readonly record struct Rational(long Numerator, long Denominator)
{
    /// <summary>The ratio as a double, NaN when the denominator is zero.</summary>
    public double Value => Denominator == 0 ? double.NaN : (double)Numerator / Denominator;

    /// <summary>True for a usable positive ratio (not ffmpeg's 0/1 or 0/0 for "unknown").</summary>
    public bool IsPositive => Numerator > 0 && Denominator > 0;

    /// <summary>Parses "30000/1001", "4:3" or a whole number; false for anything else.</summary>
    public static bool TryParse(string? text, out Rational value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        int split = text.IndexOfAny(['/', ':']);
        if (split < 0)
        {
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long whole))
                return false;
            value = new Rational(whole, 1);
            return true;
        }
        if (!long.TryParse(text.AsSpan(0, split), NumberStyles.Integer, CultureInfo.InvariantCulture, out long numerator)
            || !long.TryParse(text.AsSpan(split + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out long denominator))
            return false;
        value = new Rational(numerator, denominator);
        return true;
    }

    /// <summary>"num/den", the form ffmpeg's options take.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Numerator}/{Denominator}");
}
