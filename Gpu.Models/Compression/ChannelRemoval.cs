using Gpu.Models.Safetensors;

namespace Gpu.Models.Compression;

/// <summary>A model's tensors after structured pruning removed channels: each tensor's new shape and
/// float32 values, in the model's order, and the channels each pruned layer kept.</summary>
/// <param name="Tensors">Every tensor but PyTorch's batch counters, smaller where channels were removed.</param>
/// <param name="Selections">The kept channels of each pruned layer, by its weight's name.</param>
public sealed record ShrunkModel(IReadOnlyList<(string Name, long[] Shape, float[] Values)> Tensors, IReadOnlyDictionary<string, ChannelSelection> Selections)
{
    /// <summary>The shrunk model as float32 weights a network loads (its layers built with fewer channels).</summary>
    public ModelWeights ToWeights(IReadOnlyDictionary<string, string> metadata, string source)
        => new(Tensors.ToDictionary(t => t.Name, t => SafetensorsFile.Tensor<float>(t.Name, t.Values, t.Shape), StringComparer.Ordinal), metadata, source);
}

/// <summary>
/// Structured pruning that shrinks the network: a layer's dropped output channels leave its weight,
/// its bias and norm parameters (<see cref="ChannelGroup.PerChannel"/>), and the matching input
/// channels leave the weights that read them (<see cref="ChannelGroup.Consumers"/>). The result is
/// the model in which those channels are wholly zero after the layer's activation (weights, bias and
/// norm zeroed), computed without them.
/// </summary>
public static class ChannelRemoval
{
    /// <summary>
    /// Removes from each layer named in <paramref name="sparsities"/> (by its weight) that fraction of
    /// its output channels, those of least L1 norm (<see cref="ChannelPruning.KeptChannels"/>, ranked on
    /// the original weights so the order of layers does not matter); at least one channel stays.
    /// </summary>
    /// <exception cref="ArgumentException">A named tensor is not a layer whose channels can be removed
    /// (<see cref="ChannelGroup.Of"/>), or a sparsity would remove every channel.</exception>
    /// <exception cref="InvalidDataException">A consumer's input channels do not match its producer's output channels.</exception>
    public static ShrunkModel Remove(ModelWeights weights, IReadOnlyDictionary<string, double> sparsities)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(sparsities);
        Dictionary<string, ChannelGroup> groups = sparsities.Values.Any(s => s > 0)
            ? ChannelGroup.Of(weights).ToDictionary(g => g.Producer, StringComparer.Ordinal)
            : [];
        // PyTorch's integer batch counters are read by nothing at inference, so they are left out.
        var names = weights.Names.Where(name => !name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        var tensors = names.ToDictionary(name => name, name =>
        {
            long[] shape = [.. weights.ShapeOf(name)];
            return (Shape: shape, Values: weights.Float(name, shape));
        }, StringComparer.Ordinal);
        var selections = new Dictionary<string, ChannelSelection>(StringComparer.Ordinal);
        foreach (var (producer, sparsity) in sparsities.Where(s => s.Value > 0))
        {
            if (!groups.TryGetValue(producer, out _))
                throw new ArgumentException($"'{producer}' is not a layer whose output channels can be removed (the last layer, an LSTM, or not a layer of {weights.Source})", nameof(sparsities));
            var (shape, values) = tensors[producer];
            bool[] kept = ChannelPruning.KeptChannels(values, (int)shape[0], sparsity);
            int[] indices = [.. Enumerable.Range(0, kept.Length).Where(c => kept[c])];
            if (indices.Length == 0)
                throw new ArgumentException($"{producer}: a sparsity of {sparsity} removes all {kept.Length} output channels", nameof(sparsities));
            selections[producer] = new ChannelSelection(kept.Length, indices);
        }
        foreach (var (producer, selection) in selections)
        {
            var group = groups[producer];
            foreach (string name in group.PerChannel.Prepend(producer))
                tensors[name] = Select(name, tensors[name], axis: 0, selection);
            foreach (string name in group.Consumers)
                tensors[name] = Select(name, tensors[name], axis: 1, selection);
        }
        return new ShrunkModel([.. names.Select(name => (name, tensors[name].Shape, tensors[name].Values))], selections);
    }

    /// <summary>The shape each tensor of <paramref name="model"/> had before structured pruning removed
    /// channels, found from the kept channels its layers record (<see cref="CompressedTensor.ChannelSelection"/>).</summary>
    /// <exception cref="InvalidDataException">A layer records kept channels but the model has no such channel group.</exception>
    public static IReadOnlyDictionary<string, long[]> OriginalShapes(CompressedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shapes = model.Tensors.ToDictionary(t => t.Name, t => (long[])t.Shape.Clone(), StringComparer.Ordinal);
        var selections = model.Tensors.Where(t => t.ChannelSelection is not null).ToDictionary(t => t.Name, t => t.ChannelSelection!, StringComparer.Ordinal);
        if (selections.Count == 0)
            return shapes;
        // Only the names and metadata are read, so nothing is decoded.
        var names = new ModelWeights(new Dictionary<string, SafetensorsTensor>(), model.Metadata, "the compressed model",
            model.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal));
        var groups = ChannelGroup.Of(names).ToDictionary(g => g.Producer, StringComparer.Ordinal);
        foreach (var (producer, selection) in selections)
        {
            if (!groups.TryGetValue(producer, out var group))
                throw new InvalidDataException($"tensor '{producer}' records kept channels, but it is no layer whose channels can be removed");
            foreach (string name in group.PerChannel.Prepend(producer))
                shapes[name][0] = selection.Original;
            foreach (string name in group.Consumers)
                shapes[name][1] = selection.Original;
        }
        return shapes;
    }

    // The slices of `axis` that the selection keeps, in order.
    private static (long[] Shape, float[] Values) Select(string name, (long[] Shape, float[] Values) tensor, int axis, ChannelSelection selection)
    {
        var (shape, values) = tensor;
        if (shape.Length <= axis || shape[axis] != selection.Original)
            throw new InvalidDataException($"'{name}' has shape [{string.Join(", ", shape)}]; dimension {axis} should be the {selection.Original} channels it shares with the pruned layer");
        long outer = shape[..axis].Aggregate(1L, (p, d) => p * d), inner = shape[(axis + 1)..].Aggregate(1L, (p, d) => p * d);
        var selected = new float[outer * selection.Kept.Count * inner];
        for (long o = 0; o < outer; o++)
            for (int k = 0; k < selection.Kept.Count; k++)
                Array.Copy(values, (o * selection.Original + selection.Kept[k]) * inner, selected, (o * selection.Kept.Count + k) * inner, inner);
        long[] selectedShape = [.. shape];
        selectedShape[axis] = selection.Kept.Count;
        return (selectedShape, selected);
    }
}
