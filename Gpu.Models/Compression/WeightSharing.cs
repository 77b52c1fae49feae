namespace Gpu.Models.Compression;

/// <summary>A layer's shared weights: each weight replaced by the nearest of a few centroids and stored as its index.</summary>
/// <param name="Centroids">The shared values, ascending.</param>
/// <param name="Indices">For each weight, the index of its centroid.</param>
public sealed record SharedWeights(float[] Centroids, int[] Indices)
{
    /// <summary>The weights as the centroids give them back.</summary>
    public float[] Decode() => [.. Indices.Select(i => Centroids[i])];
}

/// <summary>
/// Deep Compression's weight sharing: one-dimensional k-means over a layer's weights with centroids
/// initialised linearly across [min, max] (the paper's best initialisation, since it keeps centroids
/// on the rare large weights that matter most).
/// </summary>
public static class WeightSharing
{
    /// <summary>
    /// Clusters <paramref name="weights"/> into at most <paramref name="clusters"/> centroids by Lloyd's
    /// iterations until no centroid moves (or <paramref name="maxIterations"/>). In one dimension each
    /// cluster is an interval of the sorted weights, so an iteration costs a binary search per centroid
    /// over a prefix sum rather than a pass over the weights.
    /// </summary>
    public static SharedWeights Cluster(ReadOnlySpan<float> weights, int clusters, int maxIterations = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        if (weights.IsEmpty)
            return new SharedWeights([], []);
        foreach (float w in weights)
            if (!float.IsFinite(w))
                throw new ArgumentException("weights must be finite to be clustered", nameof(weights));
        float[] sorted = weights.ToArray();
        Array.Sort(sorted);
        var prefix = new double[sorted.Length + 1];
        var squares = new double[sorted.Length + 1];
        for (int i = 0; i < sorted.Length; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
            squares[i + 1] = squares[i] + (double)sorted[i] * sorted[i];
        }

        double low = sorted[0], high = sorted[^1];
        int k = Math.Min(clusters, sorted.Distinct().Count());
        var centroids = new double[k];
        for (int c = 0; c < k; c++)
            centroids[c] = k == 1 ? low : low + (high - low) * c / (k - 1);
        // Linear initialisation leaves centroids stranded in the empty stretches between a layer's
        // few large weights and its many small ones; each is moved to the weight worst served by the
        // cluster of largest error and Lloyd's iterations resume, as many times as there are centroids.
        for (int reseed = 0; reseed <= k; reseed++)
        {
            var bounds = Lloyd(sorted, prefix, centroids, maxIterations);
            int empty = Array.FindIndex(bounds, b => b.End == b.Start);
            if (empty < 0)
                break;
            int worst = 0;
            double worstError = -1;
            for (int c = 0; c < k; c++)
            {
                var (start, end) = bounds[c];
                double error = squares[end] - squares[start] - (end > start ? (prefix[end] - prefix[start]) * (prefix[end] - prefix[start]) / (end - start) : 0);
                if (end - start > 1 && error > worstError)
                    (worst, worstError) = (c, error);
            }
            if (worstError <= 0)
                break;
            var (first, last) = (bounds[worst].Start, bounds[worst].End - 1);
            double farthest = centroids[worst] - sorted[first] > sorted[last] - centroids[worst] ? sorted[first] : sorted[last];
            centroids[empty] = farthest;
            Array.Sort(centroids);
        }
        float[] shared = [.. centroids.Select(c => (float)c)];
        var indices = new int[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            indices[i] = Nearest(shared, weights[i]);
        return new SharedWeights(shared, indices);
    }

    // Lloyd's iterations over sorted values: each cluster is the interval between the midpoints of
    // its centroid and its neighbours; returns each cluster's interval at convergence.
    private static (int Start, int End)[] Lloyd(float[] sorted, double[] prefix, double[] centroids, int maxIterations)
    {
        int k = centroids.Length;
        var bounds = new (int Start, int End)[k];
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            bool moved = false;
            int start = 0;
            for (int c = 0; c < k; c++)
            {
                int end = c == k - 1 ? sorted.Length : Math.Max(start, UpperBound(sorted, (centroids[c] + centroids[c + 1]) / 2));
                bounds[c] = (start, end);
                // An empty interval keeps its centroid where it is.
                if (end > start)
                {
                    double mean = (prefix[end] - prefix[start]) / (end - start);
                    moved |= mean != centroids[c];
                    centroids[c] = mean;
                }
                start = end;
            }
            if (!moved)
                break;
        }
        return bounds;
    }

    /// <summary>The index of the centroid nearest to <paramref name="value"/> (the lower one on a tie).</summary>
    public static int Nearest(ReadOnlySpan<float> centroids, float value)
    {
        int index = centroids.BinarySearch(value);
        if (index >= 0)
            return index;
        int above = ~index;
        if (above == 0)
            return 0;
        if (above == centroids.Length)
            return centroids.Length - 1;
        return value - centroids[above - 1] <= centroids[above] - value ? above - 1 : above;
    }

    // First index whose value exceeds the boundary.
    private static int UpperBound(float[] sorted, double boundary)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (sorted[mid] <= boundary)
                low = mid + 1;
            else
                high = mid;
        }
        return low;
    }
}
