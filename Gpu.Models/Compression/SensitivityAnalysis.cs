namespace Gpu.Models.Compression;

/// <summary>A model's quality when one tensor alone is pruned to <see cref="Sparsity"/> (higher quality is better).</summary>
/// <param name="Tensor">The pruned tensor.</param>
/// <param name="Sparsity">The share of its weights dropped.</param>
/// <param name="Quality">The model's quality with that tensor pruned, in the metric the caller measures.</param>
public sealed record SensitivityPoint(string Tensor, double Sparsity, double Quality);

/// <summary>
/// Deep Compression's per-layer sparsity by sensitivity: each tensor is pruned alone over a sweep of
/// sparsities and the model's quality measured on calibration inputs; each tensor then gets the
/// highest sparsity whose quality alone stays above a per-tensor floor, the whole plan is backed
/// off step by step until the model, all tensors pruned and shared at once, meets the overall floor,
/// and then single tensors are advanced again, least sensitive first, while the floor still holds.
/// </summary>
public static class SensitivityAnalysis
{
    /// <summary>The default sweep of sparsities.</summary>
    public static IReadOnlyList<double> DefaultSparsities { get; } = [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95];

    /// <summary>
    /// Measures <paramref name="quality"/> with each of <paramref name="tensors"/> pruned alone (by
    /// magnitude, values unshared) at each sparsity, dropping single weights or, with
    /// <see cref="PruningGranularity.Channels"/>, whole output channels: then each tensor must be a
    /// <see cref="ChannelGroup.Producer"/>, and the quality is that of the narrower network
    /// (<see cref="ChannelRemoval"/>) that would run.
    /// </summary>
    public static IReadOnlyList<SensitivityPoint> Sweep(ModelWeights weights, IEnumerable<string> tensors, IReadOnlyList<double> sparsities, Func<ModelWeights, double> quality,
        PruningGranularity granularity = PruningGranularity.Weights)
    {
        var points = new List<SensitivityPoint>();
        foreach (string name in tensors)
        {
            long[] shape = [.. weights.ShapeOf(name)];
            float[] values = weights.Float(name, shape);
            foreach (double sparsity in sparsities)
            {
                if (granularity == PruningGranularity.Channels)
                {
                    var narrower = ChannelRemoval.Remove(weights, new Dictionary<string, double> { [name] = sparsity }).ToWeights(weights.Metadata, weights.Source);
                    points.Add(new SensitivityPoint(name, sparsity, quality(narrower)));
                    continue;
                }
                bool[] keep = MagnitudePruning.MaskBySparsity(values, sparsity);
                float[] pruned = [.. values.Select((v, i) => keep[i] ? v : 0f)];
                points.Add(new SensitivityPoint(name, sparsity, quality(weights.With(name, pruned))));
            }
        }
        return points;
    }

    /// <summary>
    /// The weights with every one of <paramref name="tensors"/> all zero: the model a schedule could
    /// prune down to. When it still meets a floor, the floor does not protect what those tensors add
    /// (VDSR without its convolutions is bicubic upscaling).
    /// </summary>
    public static ModelWeights WithoutTensors(ModelWeights weights, IEnumerable<string> tensors)
        => tensors.Aggregate(weights, (current, name) => current.With(name, new float[current.ShapeOf(name).Aggregate(1L, (p, d) => p * d)]));

    /// <summary>
    /// The plan: each swept tensor at the highest sparsity whose quality alone is at least
    /// <paramref name="tensorFloor"/> (0 when none is), compressed as <paramref name="template"/> says
    /// (its sparsity replaced); then, while the whole compressed model's quality is below
    /// <paramref name="modelFloor"/>, every tensor steps back to the next lower sparsity of the sweep;
    /// then each tensor in turn, the one whose next sparsity cost least alone first, steps up one
    /// sparsity of the sweep and keeps it when the model still meets the floor. Returns the plan and
    /// the quality it reached; <paramref name="unswept"/> (tensors compressed but not pruned) is part
    /// of every model measured and of the plan returned.
    /// </summary>
    public static (Dictionary<string, TensorPlan> Plan, double Quality) Schedule(ModelWeights weights, IReadOnlyList<SensitivityPoint> sweep,
        double tensorFloor, double modelFloor, TensorPlan template, Func<ModelWeights, double> quality, IReadOnlyDictionary<string, TensorPlan>? unswept = null)
    {
        var levels = sweep.Select(p => p.Sparsity).Append(0).Distinct().Order().ToList();
        var alone = sweep.ToDictionary(p => (p.Tensor, p.Sparsity), p => p.Quality);
        var chosen = sweep.GroupBy(p => p.Tensor).ToDictionary(g => g.Key,
            g => levels.IndexOf(g.Where(p => p.Quality >= tensorFloor).Select(p => p.Sparsity).DefaultIfEmpty(0).Max()));
        double reached = Measure();
        while (reached < modelFloor && chosen.Values.Any(level => level > 0))
        {
            foreach (string name in chosen.Keys.ToList())
                chosen[name] = Math.Max(0, chosen[name] - 1);
            reached = Measure();
        }
        if (reached < modelFloor)
            return (Plan(), reached);
        // Backing every tensor off together overshoots the floor; the slack goes to the tensors that cost least.
        var frozen = new HashSet<string>();
        while (chosen.Where(c => !frozen.Contains(c.Key) && c.Value < levels.Count - 1)
            .OrderByDescending(c => alone.GetValueOrDefault((c.Key, levels[c.Value + 1]), double.NegativeInfinity)).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Key).FirstOrDefault() is { } next)
        {
            chosen[next]++;
            double advanced = Measure();
            if (advanced >= modelFloor)
                reached = advanced;
            else
            {
                chosen[next]--;
                frozen.Add(next);
            }
        }
        return (Plan(), reached);

        Dictionary<string, TensorPlan> Plan() => (unswept ?? new Dictionary<string, TensorPlan>()).Concat(chosen.Select(c => KeyValuePair.Create(c.Key, template with { Sparsity = levels[c.Value] })))
            .ToDictionary(StringComparer.Ordinal);

        double Measure() => quality(ModelCompressor.Compress(weights, Plan()).ToWeights(weights.Source));
    }
}
