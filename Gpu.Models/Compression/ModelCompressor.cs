using Gpu.Models.Safetensors;

namespace Gpu.Models.Compression;

/// <summary>What pruning drops: single weights, or whole output channels.</summary>
public enum PruningGranularity
{
    /// <summary>The weights of smallest magnitude, wherever they are (Deep Compression's pruning).</summary>
    Weights,

    /// <summary>The output channels of smallest L1 norm (structured pruning).</summary>
    Channels,
}

/// <summary>How the kept weights' values are stored.</summary>
public enum ValueQuantization
{
    /// <summary>k-means weight sharing: a codebook and a Huffman-coded index per weight.</summary>
    Shared,

    /// <summary>Linear int8 with a symmetric scale per output channel.</summary>
    Int8,
}

/// <summary>What is done to one weight tensor: the share pruned, at which granularity, and how the kept values are stored.</summary>
/// <param name="Sparsity">Fraction of the tensor's weights (or output channels) dropped by magnitude (0 keeps them all).</param>
/// <param name="Bits">Bits per shared value (k-means with 2^Bits centroids, one of them the zero when weights are pruned), 2 to 8; int8 ignores it.</param>
/// <param name="Granularity">Whether single weights or whole output channels are dropped.</param>
/// <param name="Quantization">Weight sharing or int8; int8 stores every weight, so it combines only with channel pruning.</param>
/// <param name="KeptChannels">With channel granularity, the channels a structured compression of this plan kept (from its
/// report), or null: a model given already that narrow (a structured model decoded and retrained) is stored with them, not narrowed again.</param>
public sealed record TensorPlan(double Sparsity, int Bits, PruningGranularity Granularity = PruningGranularity.Weights,
    ValueQuantization Quantization = ValueQuantization.Shared, ChannelSelection? KeptChannels = null);

/// <summary>A compressed model: the source's metadata and every tensor in its stored form.</summary>
/// <param name="Metadata">The source model's metadata (architecture, preprocessing …), kept so networks load it as before.</param>
/// <param name="Tensors">Every tensor of the model, compressed or raw.</param>
public sealed record CompressedModel(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<CompressedTensor> Tensors)
{
    /// <summary>Bytes of all payloads (the file adds its header).</summary>
    public long PayloadBytes => Tensors.Sum(t => (long)t.Payload.Length);

    /// <summary>The model as the networks load it: raw tensors read now, compressed ones checked whole
    /// (<see cref="CompressedTensor.Validate"/>) but kept in their stored form (for the networks' sparse,
    /// codebook and int8 layers) and decoded to float32 only when something first reads them;
    /// <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">A tensor's payload is corrupt.</exception>
    public ModelWeights ToWeights(string source)
    {
        var raw = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        foreach (var tensor in Tensors)
        {
            try
            {
                if (tensor.Codec == TensorCodec.Raw)
                    raw[tensor.Name] = SafetensorsFile.Tensor<float>(tensor.Name, tensor.Decode(), tensor.Shape);
                else
                    tensor.Validate();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
        }
        return new ModelWeights(raw, Metadata, source, Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal));
    }
}

/// <summary>Deep Compression of a whole model: its weight tensors pruned and shared as planned, the rest stored raw.</summary>
public static class ModelCompressor
{
    /// <summary>Tensors smaller than this stay raw: their codebooks and code tables would cost more than they save.</summary>
    public const int MinCompressibleElements = 256;

    /// <summary>The tensors worth compressing: conv and linear weights (rank 2 or more) of at least <see cref="MinCompressibleElements"/> values.</summary>
    public static IReadOnlyList<string> Compressible(ModelWeights weights)
        => [.. weights.Names.Where(name => weights.ShapeOf(name) is { Count: >= 2 } shape && shape.Aggregate(1L, (p, d) => p * d) >= MinCompressibleElements)];

    /// <summary>
    /// Compresses every tensor named in <paramref name="plan"/>; all others are stored raw. A layer
    /// planned with <see cref="PruningGranularity.Channels"/> that has a <see cref="ChannelGroup"/> is
    /// made smaller first (<see cref="ChannelRemoval"/>: its dropped channels leave it, its bias and
    /// norm, and the next layer's input), then stored with its kept values shared or int8; a layer
    /// without one keeps its shape, its dropped channels stored as zeros (<see cref="TensorCodec.ChannelPruned"/>).
    /// A layer already as narrow as its plan's <see cref="TensorPlan.KeptChannels"/> (and so its group) is not narrowed again.
    /// </summary>
    /// <exception cref="ArgumentException">The plan names a tensor the model does not hold, or a layer whose
    /// output channels are neither the recorded kept channels' original count nor their number.</exception>
    public static CompressedModel Compress(ModelWeights weights, IReadOnlyDictionary<string, TensorPlan> plan)
    {
        foreach (string name in plan.Keys)
            if (!weights.Contains(name))
                throw new ArgumentException($"the plan names '{name}', which {weights.Source} does not hold", nameof(plan));
        var removable = plan.Any(p => p.Value is { Granularity: PruningGranularity.Channels, Sparsity: > 0 })
            ? ChannelGroup.Of(weights).Select(g => g.Producer).ToHashSet(StringComparer.Ordinal)
            : [];
        var narrowed = AlreadyNarrowed(weights, plan.Where(p => removable.Contains(p.Key)));
        var shrunk = ChannelRemoval.Remove(weights, plan.Where(p => p.Value.Granularity == PruningGranularity.Channels && removable.Contains(p.Key) && !narrowed.ContainsKey(p.Key))
            .ToDictionary(p => p.Key, p => p.Value.Sparsity, StringComparer.Ordinal));
        var tensors = shrunk.Tensors.Select(t =>
        {
            if (!plan.TryGetValue(t.Name, out var p))
                return CompressedTensor.Raw(t.Name, t.Shape, t.Values);
            if (!shrunk.Selections.TryGetValue(t.Name, out var selection) && !narrowed.TryGetValue(t.Name, out selection))
                return Compress(t.Name, t.Shape, t.Values, p);
            return Compress(t.Name, t.Shape, t.Values, p with { Sparsity = 0 }) with { ChannelSelection = selection };
        }).ToList();
        return new CompressedModel(weights.Metadata, tensors);
    }

    /// <summary>The layers planned for channel pruning whose model is already narrowed to the kept channels
    /// their plan records, with those channels.</summary>
    /// <exception cref="ArgumentException">A layer's output channels are neither the recorded original count nor the kept count.</exception>
    private static Dictionary<string, ChannelSelection> AlreadyNarrowed(ModelWeights weights, IEnumerable<KeyValuePair<string, TensorPlan>> plan)
    {
        var narrowed = new Dictionary<string, ChannelSelection>(StringComparer.Ordinal);
        foreach (var (name, entry) in plan)
        {
            if (entry is not { Granularity: PruningGranularity.Channels, KeptChannels: { } kept })
                continue;
            long channels = weights.ShapeOf(name)[0];
            if (channels == kept.Kept.Count && kept.Kept.Count != kept.Original)
                narrowed[name] = kept;
            else if (channels != kept.Original)
                throw new ArgumentException($"'{name}' has {channels} output channels; its plan kept {kept.Kept.Count} of {kept.Original}, so the model must have one of the two", nameof(plan));
        }
        return narrowed;
    }

    /// <summary>
    /// One tensor as planned: shared (or int8) values only when nothing is pruned; the kept channels so
    /// stored when whole channels are pruned; otherwise pruned and shared with the gap width (3 to 8
    /// bits) that gives the smallest payload, since the best width depends on how the kept weights are spread.
    /// </summary>
    /// <exception cref="ArgumentException">The plan asks for int8 with single weights pruned, which int8 cannot store any smaller.</exception>
    public static CompressedTensor Compress(string name, long[] shape, float[] values, TensorPlan plan)
    {
        if (plan.Sparsity <= 0)
            return Dense(name, shape, values, plan);
        if (plan.Granularity == PruningGranularity.Channels)
        {
            bool[] kept = ChannelPruning.KeptChannels(values, (int)shape[0], plan.Sparsity);
            int perChannel = values.Length / kept.Length;
            float[] compact = [.. Enumerable.Range(0, kept.Length).Where(c => kept[c]).SelectMany(c => values.Skip(c * perChannel).Take(perChannel))];
            long[] keptShape = [kept.Count(k => k), .. shape[1..]];
            var inner = compact.Length == 0 ? CompressedTensor.Raw(name, keptShape, compact) : Dense(name, keptShape, compact, plan);
            return CompressedTensor.ChannelPruned(name, shape, kept, inner);
        }
        if (plan.Quantization == ValueQuantization.Int8)
            throw new ArgumentException($"{name}: int8 stores every weight, so it combines with channel pruning or none, not with pruning single weights", nameof(plan));
        bool[] keep = MagnitudePruning.MaskBySparsity(values, plan.Sparsity);
        return Enumerable.Range(3, 6)
            .Select(gapBits => CompressedTensor.SparseShared(name, shape, values, keep, plan.Bits, gapBits))
            .MinBy(t => t.Payload.Length)!;
    }

    private static CompressedTensor Dense(string name, long[] shape, float[] values, TensorPlan plan) => plan.Quantization == ValueQuantization.Int8
        ? CompressedTensor.Int8(name, shape, values)
        : CompressedTensor.Shared(name, shape, values, plan.Bits);
}
