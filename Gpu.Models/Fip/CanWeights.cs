using Gpu.Models.Compression;
using Gpu.Ops.Image;

namespace Gpu.Models.Fip;

/// <summary>One 3×3 layer of a context aggregation network: its (O, C, 3, 3) weights, its adaptive
/// norm and the norm's stored statistics.</summary>
/// <param name="Weights">(O, C, 3, 3) convolution weights, decoded from a compressed model only when read.</param>
/// <param name="Dilation">The dilation.</param>
/// <param name="Norm">λ, μ, γ, β and ε of the adaptive norm.</param>
/// <param name="RunningMean">The batch norm's stored means.</param>
/// <param name="RunningVariance">The batch norm's stored variances.</param>
public sealed record CanLayer(WeightValues Weights, int Dilation, AdaptiveNormalization Norm, float[] RunningMean, float[] RunningVariance);

/// <summary>The weights of a context aggregation network, named as the reference definition's
/// <c>state_dict()</c> (tools/reference/models.py): <c>layers.{i}.conv.weight</c>,
/// <c>layers.{i}.norm.lam</c>, <c>.mu</c>, <c>.bn.weight</c>, <c>.bn.bias</c>,
/// <c>.bn.running_mean</c>, <c>.bn.running_var</c>, then <c>output.weight</c> and <c>output.bias</c>.</summary>
public sealed class CanWeights
{
    private CanWeights(CanConfig config, IReadOnlyList<CanLayer> layers, WeightValues outputWeights, float[] outputBias, IReadOnlyList<CompressedTensor?>? stored = null)
    {
        Config = config;
        Layers = layers;
        OutputWeights = outputWeights;
        OutputBias = outputBias;
        StoredConvolutions = stored ?? new CompressedTensor?[layers.Count + 1];
    }

    /// <summary>The compressed form of each convolution's weights (the 3×3 layers, then the 1×1), as
    /// a <c>.gpuc</c> model stores them; null where stored raw or read from safetensors.</summary>
    public IReadOnlyList<CompressedTensor?> StoredConvolutions { get; }

    /// <summary>The architecture.</summary>
    public CanConfig Config { get; }

    /// <summary>The 3×3 layers in order.</summary>
    public IReadOnlyList<CanLayer> Layers { get; }

    /// <summary>(OutputChannels, Width, 1, 1) weights of the last layer, decoded from a compressed model only when read.</summary>
    public WeightValues OutputWeights { get; }

    /// <summary>Bias of the last layer.</summary>
    public float[] OutputBias { get; }

    /// <summary>Reads the weights; channel counts come from the tensors' shapes, the dilations from
    /// the <c>dilations</c> metadata or else the paper's schedule for the depth found.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or misshapen, or the file holds tensors of no CAN layer.</exception>
    public static CanWeights Load(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int depth = 0;
        while (weights.Contains($"layers.{depth}.conv.weight"))
            depth++;
        if (depth == 0)
            throw weights.Error("no 'layers.0.conv.weight': not a context aggregation network");
        var widths = new int[depth];
        int inputChannels = 0;
        for (int i = 0; i < depth; i++)
        {
            string name = $"layers.{i}.conv.weight";
            var shape = weights.ShapeOf(name);
            if (shape.Count != 4 || shape[2] != 3 || shape[3] != 3 || (i > 0 && shape[1] != widths[i - 1]))
                throw weights.Error($"'{name}' has shape [{string.Join(", ", shape)}]; a (width, {(i == 0 ? "channels" : widths[i - 1].ToString())}, 3, 3) kernel is needed");
            widths[i] = checked((int)shape[0]);
            if (i == 0)
                inputChannels = checked((int)shape[1]);
        }
        int width = widths.Max();
        var outputShape = weights.ShapeOf("output.weight");
        if (outputShape.Count != 4)
            throw weights.Error($"'output.weight' has shape [{string.Join(", ", outputShape)}]; a (channels, {widths[^1]}, 1, 1) kernel is needed");
        int outputChannels = checked((int)outputShape[0]);
        // A model that structured pruning narrowed (ChannelRemoval) has layers of different widths.
        var config = new CanConfig(inputChannels, width, DilationsOf(weights, depth), outputChannels,
            weights.MetadataFloat("norm_eps", 1e-3f), weights.MetadataFloat("slope", 0.2f), widths.All(w => w == width) ? null : widths);
        config.Validate();
        var layers = new List<CanLayer>(depth);
        for (int i = 0; i < depth; i++)
        {
            string prefix = $"layers.{i}.";
            int channels = config.InputsOf(i), outputs = config.WidthOf(i);
            var norm = new AdaptiveNormalization(weights.Scalar(prefix + "norm.lam"), weights.Scalar(prefix + "norm.mu"),
                weights.Float(prefix + "norm.bn.weight", outputs), weights.Float(prefix + "norm.bn.bias", outputs), config.NormEpsilon);
            layers.Add(new CanLayer(weights.Weights(prefix + "conv.weight", outputs, channels, 3, 3), config.Dilations[i], norm,
                weights.Float(prefix + "norm.bn.running_mean", outputs), weights.Float(prefix + "norm.bn.running_var", outputs)));
        }
        CompressedTensor?[] stored = [.. Enumerable.Range(0, depth).Select(i => weights.Stored($"layers.{i}.conv.weight")), weights.Stored("output.weight")];
        var result = new CanWeights(config, layers, weights.Weights("output.weight", outputChannels, config.InputsOf(depth), 1, 1), weights.Float("output.bias", outputChannels), stored);
        weights.RequireAllUsed(config.ToString());
        return result;
    }

    /// <summary>The identity initialisation of the paper: each kernel's centre tap passes channel c
    /// to channel c, λ = 1, μ = 0, so an untrained network returns its input (where it is ≥ 0).</summary>
    public static CanWeights Identity(CanConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        int w = config.Width;
        var layers = config.Dilations.Select((d, i) => new CanLayer(IdentityKernel(w, i == 0 ? config.InputChannels : w, 3), d,
            new AdaptiveNormalization(1f, 0f, Filled(w, 1f), new float[w], config.NormEpsilon), new float[w], Filled(w, 1f))).ToList();
        return new CanWeights(config, layers, IdentityKernel(config.OutputChannels, w, 1), new float[config.OutputChannels]);
    }

    private static int[] DilationsOf(ModelWeights weights, int depth)
    {
        if (!weights.Metadata.TryGetValue("dilations", out string? text))
            return CanConfig.DilationsFor(depth + 1);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var dilations = parts.Select(p => int.TryParse(p, out int d) && d > 0 ? d : 0).ToArray();
        if (dilations.Length != depth || dilations.Contains(0))
            throw weights.Error($"metadata 'dilations' = '{text}' does not give {depth} positive dilations, one per 3×3 layer");
        return dilations;
    }

    private static float[] IdentityKernel(int outputs, int inputs, int size)
    {
        var kernel = new float[outputs * inputs * size * size];
        int centre = size / 2 * size + size / 2;
        for (int o = 0; o < Math.Min(outputs, inputs); o++)
            kernel[(o * inputs + o) * size * size + centre] = 1f;
        return kernel;
    }

    private static float[] Filled(int length, float value) => Enumerable.Repeat(value, length).ToArray();
}
