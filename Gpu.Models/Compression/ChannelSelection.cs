namespace Gpu.Models.Compression;

/// <summary>Which output channels of a layer structured pruning kept: the layer had
/// <see cref="Original"/>, and <see cref="Kept"/> (ascending) are the ones its smaller tensors hold, in order.</summary>
/// <param name="Original">Output channels of the unpruned layer.</param>
/// <param name="Kept">The original indices of the channels kept, strictly ascending.</param>
public sealed record ChannelSelection(int Original, IReadOnlyList<int> Kept)
{
    /// <summary>Throws unless this selection describes a tensor of <paramref name="shape"/>: at least
    /// one channel kept, as many as the shape's first dimension, each index below <see cref="Original"/>
    /// and after the one before.</summary>
    /// <exception cref="InvalidDataException">The selection is inconsistent; the message names <paramref name="tensor"/>.</exception>
    public void Check(string tensor, IReadOnlyList<long> shape)
    {
        if (Kept is null || shape.Count == 0 || Kept.Count == 0 || Kept.Count != shape[0] || Kept.Count > Original)
            throw new InvalidDataException($"tensor '{tensor}': kept channels ({Kept?.Count.ToString() ?? "none"} of {Original}) do not match its shape [{string.Join(", ", shape)}]");
        for (int i = 0; i < Kept.Count; i++)
            if (Kept[i] < 0 || Kept[i] >= Original || (i > 0 && Kept[i] <= Kept[i - 1]))
                throw new InvalidDataException($"tensor '{tensor}': kept channel {Kept[i]} is out of order or not below {Original}");
    }
}
