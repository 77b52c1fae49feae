namespace Gpu.Ops.Image;

/// <summary>Zero (conv) or −∞ (max pool) padding on each side of an image, in pixels.</summary>
/// <param name="Top">Rows added above.</param>
/// <param name="Bottom">Rows added below.</param>
/// <param name="Left">Columns added on the left.</param>
/// <param name="Right">Columns added on the right.</param>
public readonly record struct Padding2d(int Top, int Bottom, int Left, int Right)
{
    /// <summary>The same padding <paramref name="pixels"/> on every side.</summary>
    /// <param name="pixels">Pixels per side.</param>
    /// <returns>The padding.</returns>
    public static Padding2d Symmetric(int pixels) => new(pixels, pixels, pixels, pixels);

    /// <summary><paramref name="rows"/> above and below, <paramref name="columns"/> left and right (PyTorch's (pH, pW)).</summary>
    /// <param name="rows">Rows on top and bottom.</param>
    /// <param name="columns">Columns on left and right.</param>
    /// <returns>The padding.</returns>
    public static Padding2d Of(int rows, int columns) => new(rows, rows, columns, columns);

    /// <summary>Throws when a side is negative.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is negative.</exception>
    public void Validate()
    {
        if (Top < 0 || Bottom < 0 || Left < 0 || Right < 0)
            throw new ArgumentOutOfRangeException(nameof(Padding2d), $"Padding must not be negative: {this}.");
    }
}
