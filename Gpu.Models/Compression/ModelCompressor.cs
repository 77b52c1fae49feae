using Gpu.Models.Safetensors;

namespace Gpu.Models.Compression;

/// <summary>What is done to one weight tensor: the share of weights pruned and the bits of its shared values.</summary>
/// <param name="Sparsity">Fraction of the tensor's weights dropped by magnitude (0 keeps them all).</param>
/// <param name="Bits">Bits per shared value (k-means with 2^Bits centroids, one of them the zero when pruned), 2 to 8.</param>
public sealed record TensorPlan(double Sparsity, int Bits);

/// <summary>A compressed model: the source's metadata and every tensor in its stored form.</summary>
/// <param name="Metadata">The source model's metadata (architecture, preprocessing …), kept so networks load it as before.</param>
/// <param name="Tensors">Every tensor of the model, compressed or raw.</param>
public sealed record CompressedModel(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<CompressedTensor> Tensors)
{
    /// <summary>Bytes of all payloads (the file adds its header).</summary>
    public long PayloadBytes => Tensors.Sum(t => (long)t.Payload.Length);

    /// <summary>The model with every tensor decoded to float32, as the networks load it, and each
    /// tensor's compressed form kept for the networks' sparse and codebook layers; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">A tensor's payload is corrupt.</exception>
    public ModelWeights ToWeights(string source)
    {
        var decoded = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        foreach (var tensor in Tensors)
        {
            try
            {
                decoded[tensor.Name] = SafetensorsFile.Tensor<float>(tensor.Name, tensor.Decode(), tensor.Shape);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
        }
        return new ModelWeights(decoded, Metadata, source, Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal));
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

    /// <summary>Compresses every tensor named in <paramref name="plan"/>; all others are stored raw.</summary>
    public static CompressedModel Compress(ModelWeights weights, IReadOnlyDictionary<string, TensorPlan> plan)
    {
        foreach (string name in plan.Keys)
            if (!weights.Contains(name))
                throw new ArgumentException($"the plan names '{name}', which {weights.Source} does not hold", nameof(plan));
        // PyTorch's integer batch counters are read by nothing at inference, so they are left out.
        var tensors = weights.Names.Where(name => !name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).Select(name =>
        {
            long[] shape = [.. weights.ShapeOf(name)];
            float[] values = weights.Float(name, shape);
            return plan.TryGetValue(name, out var p) ? Compress(name, shape, values, p) : CompressedTensor.Raw(name, shape, values);
        }).ToList();
        return new CompressedModel(weights.Metadata, tensors);
    }

    /// <summary>
    /// One tensor as planned: shared values only when nothing is pruned, otherwise pruned and shared
    /// with the gap width (3 to 8 bits) that gives the smallest payload, since the best width depends
    /// on how the kept weights are spread.
    /// </summary>
    public static CompressedTensor Compress(string name, long[] shape, float[] values, TensorPlan plan)
    {
        if (plan.Sparsity <= 0)
            return CompressedTensor.Shared(name, shape, values, plan.Bits);
        bool[] keep = MagnitudePruning.MaskBySparsity(values, plan.Sparsity);
        return Enumerable.Range(3, 6)
            .Select(gapBits => CompressedTensor.SparseShared(name, shape, values, keep, plan.Bits, gapBits))
            .MinBy(t => t.Payload.Length)!;
    }
}
