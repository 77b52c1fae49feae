namespace Gpu.Media.Frames;

/// <summary>Width and height of a frame in pixels.</summary>
public readonly record struct FrameSize
{
    /// <summary>Creates a size; both sides must be positive.</summary>
    public FrameSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Pixels in the frame, as a long so limits on huge images can be checked without overflow.</summary>
    public long Pixels => (long)Width * Height;

    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height}";
}

/// <summary>
/// Bits per colour sample of the source a frame came from; frames are always float, but a 16-bit
/// source is written back with 16 bits where the output format can hold them.
/// </summary>
public enum SampleDepth
{
    /// <summary>8 bits per sample (most images and videos).</summary>
    Bits8 = 8,

    /// <summary>More than 8 bits per sample (16-bit PNG or TIFF, 10- or 12-bit video), carried as 16.</summary>
    Bits16 = 16,
}

/// <summary>What a frame holds: its size and the depth of the samples it came from.</summary>
/// <param name="Size">Width and height in pixels.</param>
/// <param name="Depth">Sample depth of the source, which decides the depth written out.</param>
public readonly record struct FrameFormat(FrameSize Size, SampleDepth Depth)
{
    /// <summary>Colour channels of every frame: planar R, G, B.</summary>
    public const int Channels = 3;

    /// <summary>Floats in one frame (3 × height × width).</summary>
    public int FloatsPerFrame => checked(Channels * Size.Width * Size.Height);

    /// <inheritdoc />
    public override string ToString() => $"{Size} {(int)Depth}-bit";
}
