using Gpu.Models.Compression;

namespace Gpu.Models.Vdsr;

/// <summary>The weights of VDSR (Kim et al. 2016) in the public pytorch-vdsr layout:
/// <c>input.weight</c> (64, 1, 3, 3), <c>residual_layer.{i}.conv.weight</c> (64, 64, 3, 3) for each
/// middle layer, <c>output.weight</c> (1, 64, 3, 3); no biases.</summary>
public sealed class VdsrWeights
{
    /// <summary>Channels of every hidden layer in the public layout.</summary>
    public const int Width = 64;

    private VdsrWeights(WeightValues input, IReadOnlyList<WeightValues> middle, WeightValues output, IReadOnlyList<CompressedTensor?>? stored = null,
        IReadOnlyList<int>? widths = null)
    {
        Widths = widths ?? [.. Enumerable.Repeat(Width, middle.Count + 1)];
        Input = input;
        Middle = middle;
        Output = output;
        StoredConvolutions = stored ?? new CompressedTensor?[middle.Count + 2];
    }

    /// <summary>The compressed form of each convolution's weights (input, middle layers, output), as a
    /// <c>.gpuc</c> model stores them; null where stored raw or read from safetensors.</summary>
    public IReadOnlyList<CompressedTensor?> StoredConvolutions { get; }

    /// <summary>(64, 1, 3, 3) weights of the first layer; like the others, decoded from a compressed model only when read.</summary>
    public WeightValues Input { get; }

    /// <summary>(64, 64, 3, 3) weights of each middle layer (18 in the paper).</summary>
    public IReadOnlyList<WeightValues> Middle { get; }

    /// <summary>(1, 64, 3, 3) weights of the last layer.</summary>
    public WeightValues Output { get; }

    /// <summary>Output channels of the input layer and of each middle layer: <see cref="Width"/> each,
    /// fewer where structured pruning narrowed a layer.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Convolution layers in all.</summary>
    public int Depth => Middle.Count + 2;

    /// <summary>Multiply-adds per output pixel.</summary>
    public long MacsPerPixel => 9L * (Widths[0] + Widths[^1] + Enumerable.Range(0, Middle.Count).Sum(i => (long)Widths[i] * Widths[i + 1]));

    /// <summary>Learned parameters (all convolution weights).</summary>
    public long ParameterCount => MacsPerPixel;

    /// <summary>Reads the weights; the number of middle layers is the number found.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or misshapen, or the file holds tensors of no VDSR layer.</exception>
    public static VdsrWeights Load(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        // Widths come from the shapes: a model narrowed by structured pruning (ChannelRemoval) has fewer than 64 in some layers.
        var widths = new List<int> { OutputsOf(weights, "input.weight", 1) };
        var middle = new List<WeightValues>();
        for (string name; weights.Contains(name = $"residual_layer.{middle.Count}.conv.weight");)
        {
            widths.Add(OutputsOf(weights, name, widths[^1]));
            middle.Add(weights.Weights(name, widths[^1], widths[^2], 3, 3));
        }
        CompressedTensor?[] stored = [weights.Stored("input.weight"), .. Enumerable.Range(0, middle.Count).Select(i => weights.Stored($"residual_layer.{i}.conv.weight")), weights.Stored("output.weight")];
        var result = new VdsrWeights(weights.Weights("input.weight", widths[0], 1, 3, 3), middle, weights.Weights("output.weight", 1, widths[^1], 3, 3), stored, widths);
        weights.RequireAllUsed($"VDSR of {result.Depth} layers");
        return result;
    }

    private static int OutputsOf(ModelWeights weights, string name, int inputs)
    {
        var shape = weights.ShapeOf(name);
        if (shape.Count != 4 || shape[0] is < 1 or > Width || shape[1] != inputs || shape[2] != 3 || shape[3] != 3)
            throw weights.Error($"'{name}' has shape [{string.Join(", ", shape)}]; (1 to {Width}, {inputs}, 3, 3) is needed");
        return (int)shape[0];
    }

    /// <summary>Seeded He-initialised weights, for measuring speed and memory without a trained file.</summary>
    public static VdsrWeights Random(int middleLayers, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(middleLayers);
        var random = new Random(seed);
        float[] Kernel(int outputs, int inputs)
        {
            float scale = MathF.Sqrt(2f / (9 * inputs));
            return [.. Enumerable.Range(0, outputs * inputs * 9).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
        }
        return new VdsrWeights(Kernel(Width, 1), [.. Enumerable.Range(0, middleLayers).Select(_ => (WeightValues)Kernel(Width, Width))], Kernel(1, Width));
    }
}
