using Gpu.Models.Safetensors;

namespace Gpu.Models;

/// <summary>The tensors and metadata of one weight file, read as a model loader needs them: float
/// tensors by name with the shape checked, every violation an <see cref="InvalidDataException"/>
/// that names the file and the tensor. Loaders call <see cref="RequireAllUsed"/> last, so a file of
/// another architecture is refused rather than half-loaded (as PyTorch's strict
/// <c>load_state_dict</c> does).</summary>
public sealed class ModelWeights
{
    private readonly IReadOnlyDictionary<string, SafetensorsTensor> tensors;
    private readonly IReadOnlyDictionary<string, Compression.CompressedTensor> stored;
    // Compressed tensors not decoded at load: each decodes when a dense route or a caller first needs it.
    private readonly Dictionary<string, WeightValues> deferred = new(StringComparer.Ordinal);
    private readonly List<string> names;
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    /// <summary>Wraps tensors already read; <paramref name="source"/> names them in messages.</summary>
    /// <param name="tensors">The float tensors by name.</param>
    /// <param name="metadata">The file's metadata strings.</param>
    /// <param name="source">Where the weights came from.</param>
    /// <param name="stored">For a compressed model, the compressed form of its tensors by name, from
    /// which the networks build sparse and codebook layers; those absent from <paramref name="tensors"/>
    /// are decoded only when first read. Null for none.</param>
    public ModelWeights(IReadOnlyDictionary<string, SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata, string source,
        IReadOnlyDictionary<string, Compression.CompressedTensor>? stored = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        this.tensors = tensors;
        this.stored = stored ?? new Dictionary<string, Compression.CompressedTensor>();
        Metadata = metadata;
        Source = source;
        foreach (var (name, tensor) in this.stored)
            if (!tensors.ContainsKey(name))
                deferred[name] = new WeightValues(tensor.ElementCount, () => Decode(tensor));
        // A compressed model's tensors keep the file's order, for the tables and files made from them.
        names = [.. this.stored.Keys, .. tensors.Keys.Where(name => !this.stored.ContainsKey(name))];
    }

    /// <summary>The file's <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the weights came from, for messages.</summary>
    public string Source { get; }

    /// <summary>Every tensor name.</summary>
    public IEnumerable<string> Names => names;

    /// <summary>Reads a safetensors file (memory-mapped while it is parsed; F16 and BF16 are widened on use),
    /// or a compressed <c>.gpuc</c> model (known by its magic): its raw tensors read, its compressed
    /// ones checked and decoded to float32 only when first read.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors or .gpuc.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ModelWeights Read(string path)
    {
        if (Compression.GpucFile.IsGpuc(path))
            return Compression.GpucFile.Load(path);
        var (tensors, metadata) = SafetensorsFile.Read(path);
        return new ModelWeights(tensors, metadata, path);
    }

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => tensors.ContainsKey(name) || deferred.ContainsKey(name);

    /// <summary>The dimensions of a tensor.</summary>
    /// <exception cref="InvalidDataException">The tensor is missing.</exception>
    public IReadOnlyList<long> ShapeOf(string name)
    {
        if (deferred.ContainsKey(name))
        {
            used.Add(name);
            return stored[name].Shape;
        }
        return Get(name).Shape;
    }

    /// <summary>A float tensor of exactly <paramref name="shape"/>, widened to float32; a new array
    /// the caller may change.</summary>
    /// <exception cref="InvalidDataException">The tensor is missing, not a float tensor, or of another shape.</exception>
    public float[] Float(string name, params ReadOnlySpan<long> shape)
    {
        RequireShape(name, shape);
        if (deferred.TryGetValue(name, out var values))
            return values.IsMaterialized ? (float[])values.Values.Clone() : Decode(stored[name]);
        try
        {
            return Get(name).ToFloat32();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Source}: {e.Message}", e);
        }
    }

    /// <summary>A layer's weights of exactly <paramref name="shape"/>: for a compressed tensor, a view
    /// shared by every caller that decodes on its first read, so layers that run from the
    /// compressed form (<see cref="Stored"/>) never hold the dense values.</summary>
    /// <exception cref="InvalidDataException">The tensor is missing, not a float tensor, or of another shape.</exception>
    public WeightValues Weights(string name, params ReadOnlySpan<long> shape)
    {
        if (!deferred.TryGetValue(name, out var values))
            return new WeightValues(Float(name, shape));
        RequireShape(name, shape);
        return values;
    }

    /// <summary>The compressed form of a tensor read from a <c>.gpuc</c> model, or null where it
    /// was stored raw or the file is safetensors.</summary>
    public Compression.CompressedTensor? Stored(string name)
        => stored.TryGetValue(name, out var tensor) && tensor.Codec != Compression.TensorCodec.Raw ? tensor : null;

    /// <summary>A float scalar, stored with shape [] or [1].</summary>
    /// <exception cref="InvalidDataException">The tensor is missing, not a float tensor, or not one value.</exception>
    public float Scalar(string name)
    {
        var shape = ShapeOf(name);
        if (shape.Aggregate(1L, (product, dimension) => product * dimension) != 1 || shape.Count > 1)
            throw Error($"tensor '{name}' has shape [{string.Join(", ", shape)}]; a scalar is needed");
        return Float(name, [.. shape])[0];
    }

    /// <summary>A metadata value parsed as a float, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is present but not a number.</exception>
    public float MetadataFloat(string key, float fallback)
    {
        if (!Metadata.TryGetValue(key, out string? text))
            return fallback;
        return float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float value)
            ? value : throw Error($"metadata '{key}' = '{text}' is not a number");
    }

    /// <summary>Throws unless every tensor was read, except PyTorch's <c>num_batches_tracked</c> counters.</summary>
    /// <param name="architecture">What the loader built, for the message.</param>
    /// <exception cref="InvalidDataException">Some tensors belong to no layer of the architecture.</exception>
    public void RequireAllUsed(string architecture)
    {
        var unused = Names.Where(n => !used.Contains(n) && !n.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
            throw Error($"{unused.Count} tensors belong to no layer of the {architecture} read from it ({string.Join(", ", unused.Take(5))}{(unused.Count > 5 ? ", …" : "")}); is it another model's file?");
    }

    /// <summary>These weights with one tensor's values replaced by float32 <paramref name="values"/> of the same shape, for trying a change such as pruning it.</summary>
    public ModelWeights With(string name, float[] values)
    {
        var shape = ShapeOf(name);
        var replaced = new Dictionary<string, SafetensorsTensor>(tensors, StringComparer.Ordinal)
        {
            [name] = SafetensorsFile.Tensor<float>(name, values, [.. shape]),
        };
        // The replaced tensor's compressed form no longer describes it.
        var keptForms = stored.Where(pair => pair.Key != name).ToDictionary(StringComparer.Ordinal);
        return new ModelWeights(replaced, Metadata, Source, keptForms);
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file.</summary>
    public InvalidDataException Error(string message) => new($"{Source}: {message}{(message.EndsWith('?') ? "" : ".")}");

    private void RequireShape(string name, ReadOnlySpan<long> shape)
    {
        var actual = ShapeOf(name);
        if (!actual.SequenceEqual(shape.ToArray()))
            throw Error($"tensor '{name}' has shape [{string.Join(", ", actual)}]; [{string.Join(", ", shape.ToArray())}] is needed");
    }

    private float[] Decode(Compression.CompressedTensor tensor)
    {
        try
        {
            return tensor.Decode();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Source}: {e.Message}", e);
        }
    }

    private SafetensorsTensor Get(string name)
    {
        if (!tensors.TryGetValue(name, out var tensor))
            throw Error($"tensor '{name}' is missing");
        used.Add(name);
        return tensor;
    }
}
