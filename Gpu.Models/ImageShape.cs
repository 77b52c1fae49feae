namespace Gpu.Models;

/// <summary>The logical shape of a batch of images, N × C × H × W, whatever their memory layout.</summary>
/// <param name="Batch">N.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
public readonly record struct ImageShape(int Batch, int Channels, int Height, int Width)
{
    /// <summary>Elements of the batch.</summary>
    public long Length => (long)Batch * Channels * Height * Width;

    /// <summary>Pixels of one image.</summary>
    public long Pixels => (long)Height * Width;

    /// <summary>The same images with another channel count.</summary>
    public ImageShape WithChannels(int channels) => this with { Channels = channels };

    /// <summary>Throws unless every dimension is positive and the batch holds under 2^31 elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or the batch is too large.</exception>
    public void Validate()
    {
        if (Batch <= 0 || Channels <= 0 || Height <= 0 || Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(ImageShape), $"Every image dimension must be positive: N={Batch}, C={Channels}, H={Height}, W={Width}.");
        if (Length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(ImageShape), $"A batch of {Batch}×{Channels}×{Height}×{Width} holds {Length} elements; at most 2^31 − 1 fit one tensor.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Batch}×{Channels}×{Height}×{Width}";
}
