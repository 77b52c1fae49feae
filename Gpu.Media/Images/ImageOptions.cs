namespace Gpu.Media.Images;

/// <summary>Limits and choices for reading images.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>The default pixel limit: 16384 × 16384.</summary>
    public const long DefaultMaxPixels = 16384L * 16384;

    /// <summary>
    /// Images with more pixels than this are refused from their header, before any pixel is decoded,
    /// so a crafted or accidental giant file cannot exhaust memory.
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;
}

/// <summary>Choices for writing images; the format follows the output's extension.</summary>
public sealed record ImageEncodeOptions
{
    /// <summary>JPEG quality, and lossy WebP quality, from 1 to 100.</summary>
    public int Quality { get; init; } = 90;

    /// <summary>Writes WebP lossless instead of lossy.</summary>
    public bool WebpLossless { get; init; }
}
