using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;

namespace Gpu.Models;

/// <summary>The network families this library runs.</summary>
public enum ModelArchitecture
{
    /// <summary>FIP's context aggregation network.</summary>
    Can,
    /// <summary>VDSR super-resolution.</summary>
    Vdsr,
    /// <summary>CRNN text recognition.</summary>
    Crnn,
}

/// <summary>One layer of a <see cref="ModelSummary"/>.</summary>
/// <param name="Name">The weights' prefix (e.g. <c>layers.3</c>).</param>
/// <param name="Description">What it computes (kernel, dilation, channels).</param>
/// <param name="Parameters">Learned parameters.</param>
/// <param name="Macs">Multiply-adds for the summary's input.</param>
public sealed record LayerSummary(string Name, string Description, long Parameters, long Macs);

/// <summary>What a weights file holds: the architecture found, each layer's parameters and
/// multiply-adds for a given input, and the totals (what <c>gpuc info</c> prints).</summary>
/// <param name="Architecture">The family.</param>
/// <param name="Description">The configuration in words.</param>
/// <param name="Input">What the multiply-adds were counted for.</param>
/// <param name="Layers">The layers in order.</param>
public sealed record ModelSummary(ModelArchitecture Architecture, string Description, string Input, IReadOnlyList<LayerSummary> Layers)
{
    /// <summary>All learned parameters.</summary>
    public long Parameters => Layers.Sum(l => l.Parameters);

    /// <summary>All multiply-adds.</summary>
    public long Macs => Layers.Sum(l => l.Macs);

    /// <summary>The architecture of a weights file: its <c>architecture</c> metadata, else the
    /// tensor names of the reference definitions.</summary>
    /// <exception cref="InvalidDataException">Neither says which of the three networks it is.</exception>
    public static ModelArchitecture Recognize(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Metadata.TryGetValue("architecture", out string? name))
            return name.ToLowerInvariant() switch
            {
                "can" => ModelArchitecture.Can,
                "vdsr" => ModelArchitecture.Vdsr,
                "crnn" => ModelArchitecture.Crnn,
                _ => throw weights.Error($"metadata 'architecture' = '{name}' is none of can, vdsr, crnn"),
            };
        if (weights.Contains("layers.0.conv.weight") && weights.Contains("output.weight"))
            return ModelArchitecture.Can;
        if (weights.Contains("input.weight") && weights.Contains("output.weight"))
            return ModelArchitecture.Vdsr;
        if (weights.Contains("cnn.conv0.weight"))
            return ModelArchitecture.Crnn;
        throw weights.Error($"not a file this library recognises: no architecture metadata and none of the tensor names of a CAN (layers.0.conv.weight), VDSR (input.weight) or CRNN (cnn.conv0.weight); it holds {string.Join(", ", weights.Names.Take(4))}{(weights.Names.Count() > 4 ? ", …" : "")}");
    }

    /// <summary>Loads and summarises a weights file for images of <paramref name="width"/> ×
    /// <paramref name="height"/> (for VDSR the input before upscaling by <paramref name="scale"/>;
    /// for CRNN only the width counts: lines are 32 high).</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed weights file of a known architecture.</exception>
    public static ModelSummary Of(ModelWeights weights, int width, int height, int scale = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return Recognize(weights) switch
        {
            ModelArchitecture.Can => ForCan(CanWeights.Load(weights).Config, width, height),
            ModelArchitecture.Vdsr => ForVdsr(VdsrWeights.Load(weights), width, height, scale),
            _ => ForCrnn(CrnnWeights.Load(weights), width),
        };
    }

    /// <summary>A context aggregation network on images of <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static ModelSummary ForCan(CanConfig config, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(config);
        long pixels = (long)width * height;
        var layers = config.Dilations.Select((d, i) =>
        {
            int inputs = config.InputsOf(i), outputs = config.WidthOf(i);
            long weights = 9L * inputs * outputs;
            return new LayerSummary($"layers.{i}", $"3×3 d{d} {inputs}→{outputs}, adaptive norm, LeakyReLU({config.Slope})", weights + 2 + 2L * outputs, weights * pixels);
        }).Append(new LayerSummary("output", $"1×1 {config.InputsOf(config.Dilations.Count)}→{config.OutputChannels} + bias",
            (long)config.InputsOf(config.Dilations.Count) * config.OutputChannels + config.OutputChannels, (long)config.InputsOf(config.Dilations.Count) * config.OutputChannels * pixels));
        return new ModelSummary(ModelArchitecture.Can, config.ToString(), $"{width}×{height}", [.. layers]);
    }

    /// <summary>VDSR upscaling images of <paramref name="width"/> × <paramref name="height"/> by <paramref name="scale"/>
    /// (the network runs at the upscaled size).</summary>
    public static ModelSummary ForVdsr(VdsrWeights weights, int width, int height, int scale)
    {
        ArgumentNullException.ThrowIfNull(weights);
        (width, height) = (width * scale, height * scale);
        long pixels = (long)width * height;
        var widths = weights.Widths;
        var layers = new List<LayerSummary> { new("input", $"3×3 1→{widths[0]}, ReLU", 9L * widths[0], 9L * widths[0] * pixels) };
        layers.AddRange(weights.Middle.Select((_, i) => new LayerSummary($"residual_layer.{i}", $"3×3 {widths[i]}→{widths[i + 1]}, ReLU",
            9L * widths[i] * widths[i + 1], 9L * widths[i] * widths[i + 1] * pixels)));
        layers.Add(new LayerSummary("output", $"3×3 {widths[^1]}→1 + input (residual)", 9L * widths[^1], 9L * widths[^1] * pixels));
        return new ModelSummary(ModelArchitecture.Vdsr, $"VDSR, {weights.Depth} layers", $"{width / scale}×{height / scale} upscaled ×{scale} to {width}×{height} (network on Y)", layers);
    }

    /// <summary>CRNN reading one line <paramref name="width"/> pixels wide.</summary>
    public static ModelSummary ForCrnn(CrnnWeights weights, int width)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var layers = new List<LayerSummary>();
        int height = CrnnNetwork.Height, w = width;
        foreach (var (conv, i) in weights.Convolutions.Select((c, i) => (c, i)))
        {
            int outHeight = height + 2 * conv.Padding - conv.KernelSize + 1, outWidth = w + 2 * conv.Padding - conv.KernelSize + 1;
            long kernel = (long)conv.KernelSize * conv.KernelSize * conv.InChannels * conv.OutChannels;
            bool norm = CrnnWeights.BatchNormLayers.Contains(i);
            layers.Add(new LayerSummary($"cnn.conv{i}", $"{conv.KernelSize}×{conv.KernelSize} {conv.InChannels}→{conv.OutChannels}{(norm ? " + BN (folded)" : "")}, ReLU at {outHeight}×{outWidth}",
                kernel + conv.OutChannels + (norm ? 2L * conv.OutChannels : 0), kernel * outHeight * outWidth));
            (height, w) = (outHeight, outWidth);
            (height, w) = i switch
            {
                0 or 1 => (height / 2, w / 2),
                3 or 5 => (height / 2, w + 1),
                _ => (height, w),
            };
        }
        int steps = w;
        foreach (var (layer, i) in weights.Recurrent.Select((r, i) => (r, i)))
        {
            long lstm = 2L * 4 * layer.HiddenSize * (layer.InputSize + layer.HiddenSize + 2);
            layers.Add(new LayerSummary($"rnn.{i}.rnn", $"BiLSTM {layer.InputSize}→2×{layer.HiddenSize} over {steps} steps", lstm,
                2L * 4 * layer.HiddenSize * (layer.InputSize + layer.HiddenSize) * steps));
            layers.Add(new LayerSummary($"rnn.{i}.embedding", $"linear {2 * layer.HiddenSize}→{layer.OutputSize}", 2L * layer.HiddenSize * layer.OutputSize + layer.OutputSize,
                2L * layer.HiddenSize * layer.OutputSize * steps));
        }
        return new ModelSummary(ModelArchitecture.Crnn, $"CRNN, {weights.Classes} classes (alphabet \"{weights.Alphabet}\")", $"1×32×{width} grayscale line, {steps} time steps", layers);
    }
}
