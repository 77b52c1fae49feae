namespace Gpu.Media.Frames;

/// <summary>
/// Interleaved 8- and 16-bit RGB rows to planar float rows and back; every decoder and encoder
/// (ImageSharp rows, ffmpeg's raw frames) goes through these, so the rounding is the same everywhere.
/// A row y of a planar frame is three slices, one per plane, each <c>width</c> long.
/// </summary>
internal static class PixelConversion
{
    // A table, not a division per sample: k / 255f is exact to the float for every byte, and one
    // load per sample is cheaper than a divide.
    private static readonly float[] ByteToUnit = CreateByteTable();

    private const float UShortScale = 1f / 65535f;

    private static float[] CreateByteTable()
    {
        var table = new float[256];
        for (int k = 0; k < table.Length; k++)
            table[k] = k / 255f;
        return table;
    }

    public static void RowToPlanar(ReadOnlySpan<byte> rgb, Span<float> planar, FrameSize size, int y)
    {
        int w = size.Width, plane = w * size.Height, start = y * w;
        var r = planar.Slice(start, w);
        var g = planar.Slice(plane + start, w);
        var b = planar.Slice(2 * plane + start, w);
        rgb = rgb[..(3 * w)];
        ReadOnlySpan<float> table = ByteToUnit;
        for (int x = 0, i = 0; x < w; x++, i += 3)
        {
            r[x] = table[rgb[i]];
            g[x] = table[rgb[i + 1]];
            b[x] = table[rgb[i + 2]];
        }
    }

    public static void RowToPlanar(ReadOnlySpan<ushort> rgb, Span<float> planar, FrameSize size, int y)
    {
        int w = size.Width, plane = w * size.Height, start = y * w;
        var r = planar.Slice(start, w);
        var g = planar.Slice(plane + start, w);
        var b = planar.Slice(2 * plane + start, w);
        rgb = rgb[..(3 * w)];
        for (int x = 0, i = 0; x < w; x++, i += 3)
        {
            r[x] = rgb[i] * UShortScale;
            g[x] = rgb[i + 1] * UShortScale;
            b[x] = rgb[i + 2] * UShortScale;
        }
    }

    public static void RowToInterleaved(ReadOnlySpan<float> planar, FrameSize size, int y, Span<byte> rgb)
    {
        int w = size.Width, plane = w * size.Height, start = y * w;
        var r = planar.Slice(start, w);
        var g = planar.Slice(plane + start, w);
        var b = planar.Slice(2 * plane + start, w);
        rgb = rgb[..(3 * w)];
        for (int x = 0, i = 0; x < w; x++, i += 3)
        {
            rgb[i] = ToByte(r[x]);
            rgb[i + 1] = ToByte(g[x]);
            rgb[i + 2] = ToByte(b[x]);
        }
    }

    public static void RowToInterleaved(ReadOnlySpan<float> planar, FrameSize size, int y, Span<ushort> rgb)
    {
        int w = size.Width, plane = w * size.Height, start = y * w;
        var r = planar.Slice(start, w);
        var g = planar.Slice(plane + start, w);
        var b = planar.Slice(2 * plane + start, w);
        rgb = rgb[..(3 * w)];
        for (int x = 0, i = 0; x < w; x++, i += 3)
        {
            rgb[i] = ToUShort(r[x]);
            rgb[i + 1] = ToUShort(g[x]);
            rgb[i + 2] = ToUShort(b[x]);
        }
    }

    public static void FrameToPlanar(ReadOnlySpan<byte> rgb, FrameSize size, Span<float> planar)
    {
        for (int y = 0, row = 3 * size.Width; y < size.Height; y++)
            RowToPlanar(rgb.Slice(y * row, row), planar, size, y);
    }

    public static void FrameToPlanar(ReadOnlySpan<ushort> rgb, FrameSize size, Span<float> planar)
    {
        for (int y = 0, row = 3 * size.Width; y < size.Height; y++)
            RowToPlanar(rgb.Slice(y * row, row), planar, size, y);
    }

    public static void FrameToInterleaved(ReadOnlySpan<float> planar, FrameSize size, Span<byte> rgb)
    {
        for (int y = 0, row = 3 * size.Width; y < size.Height; y++)
            RowToInterleaved(planar, size, y, rgb.Slice(y * row, row));
    }

    public static void FrameToInterleaved(ReadOnlySpan<float> planar, FrameSize size, Span<ushort> rgb)
    {
        for (int y = 0, row = 3 * size.Width; y < size.Height; y++)
            RowToInterleaved(planar, size, y, rgb.Slice(y * row, row));
    }

    // Clamped first, because processors may overshoot [0, 1]; a NaN becomes 0 through .NET's
    // saturating float-to-integer conversion.
    private static byte ToByte(float v) => (byte)(Math.Clamp(v, 0f, 1f) * 255f + 0.5f);

    private static ushort ToUShort(float v) => (ushort)(Math.Clamp(v, 0f, 1f) * 65535f + 0.5f);
}
