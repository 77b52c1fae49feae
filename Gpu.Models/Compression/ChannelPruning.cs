namespace Gpu.Models.Compression;

/// <summary>
/// Structured pruning: whole output channels (the first dimension of a conv or linear weight) are
/// dropped by their L1 norm, so a dense kernel can skip them instead of multiplying zeros.
/// </summary>
public static class ChannelPruning
{
    /// <summary>
    /// Which of the <paramref name="channels"/> output channels of <paramref name="weights"/> (row-major,
    /// channel outermost) to keep: all but the <paramref name="sparsity"/> fraction with the smallest L1
    /// norms, exactly round(sparsity × channels) of them, ties broken by channel index.
    /// </summary>
    public static bool[] KeptChannels(ReadOnlySpan<float> weights, int channels, double sparsity)
    {
        if (channels <= 0 || weights.Length % channels != 0)
            throw new ArgumentException($"{weights.Length} weights do not split into {channels} output channels", nameof(channels));
        int perChannel = weights.Length / channels;
        var norms = new double[channels];
        for (int c = 0; c < channels; c++)
            foreach (float w in weights.Slice(c * perChannel, perChannel))
                norms[c] += Math.Abs(w);
        if (!(sparsity >= 0 && sparsity <= 1))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity is a fraction from 0 to 1");
        int drop = (int)Math.Round(sparsity * channels, MidpointRounding.AwayFromZero);
        var kept = new bool[channels];
        foreach (int c in Enumerable.Range(0, channels).OrderBy(c => norms[c]).ThenBy(c => c).Skip(drop))
            kept[c] = true;
        return kept;
    }
}
