namespace Gpu.Models.Compression;

/// <summary>Magnitude pruning: the weights of smallest absolute value are dropped, per layer or over
/// several layers at once with one threshold.</summary>
public static class MagnitudePruning
{
    /// <summary>
    /// The mask keeping all but the <paramref name="sparsity"/> fraction (0 to 1) of
    /// <paramref name="weights"/> with the smallest magnitudes; ties at the cut are broken by position,
    /// so exactly round(sparsity × length) weights are dropped.
    /// </summary>
    public static bool[] MaskBySparsity(ReadOnlySpan<float> weights, double sparsity)
    {
        CheckSparsity(sparsity);
        int drop = (int)Math.Round(sparsity * weights.Length, MidpointRounding.AwayFromZero);
        var order = new int[weights.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        float[] magnitudes = new float[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            magnitudes[i] = MathF.Abs(weights[i]);
        // A stable order of (magnitude, position) makes the dropped set deterministic.
        Array.Sort(order, (a, b) => magnitudes[a] != magnitudes[b] ? magnitudes[a].CompareTo(magnitudes[b]) : a.CompareTo(b));
        var keep = new bool[weights.Length];
        for (int i = drop; i < order.Length; i++)
            keep[order[i]] = true;
        return keep;
    }

    /// <summary>
    /// The one magnitude threshold that drops the <paramref name="sparsity"/> fraction of all weights of
    /// <paramref name="layers"/> together (global pruning: layers with many small weights lose more);
    /// a weight is kept when its magnitude exceeds the threshold.
    /// </summary>
    public static float GlobalThreshold(IEnumerable<ReadOnlyMemory<float>> layers, double sparsity)
    {
        CheckSparsity(sparsity);
        float[] magnitudes = [.. layers.SelectMany(layer => layer.ToArray()).Select(MathF.Abs)];
        if (magnitudes.Length == 0)
            return 0;
        Array.Sort(magnitudes);
        int drop = (int)Math.Round(sparsity * magnitudes.Length, MidpointRounding.AwayFromZero);
        return drop == 0 ? -1 : magnitudes[drop - 1];
    }

    /// <summary>The mask of the weights whose magnitude exceeds <paramref name="threshold"/>.</summary>
    public static bool[] MaskByThreshold(ReadOnlySpan<float> weights, float threshold)
    {
        var keep = new bool[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            keep[i] = MathF.Abs(weights[i]) > threshold;
        return keep;
    }

    private static void CheckSparsity(double sparsity)
    {
        if (!(sparsity >= 0 && sparsity <= 1))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity is a fraction from 0 to 1");
    }
}
