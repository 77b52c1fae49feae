namespace Gpu.Models.Fip;

/// <summary>The architecture of a context aggregation network (FIP, Chen, Xu and Koltun 2017):
/// 3×3 convolutions without bias at <see cref="Dilations"/>, each followed by the adaptive norm and
/// LeakyReLU, then a 1×1 convolution with bias to <see cref="OutputChannels"/>.</summary>
/// <param name="InputChannels">3 for RGB; 4 with a parameter channel; 13 with ten one-hot operator channels.</param>
/// <param name="Width">Channels of every hidden layer (24 or 32 in the paper).</param>
/// <param name="Dilations">Dilation of each 3×3 layer, in order.</param>
/// <param name="OutputChannels">Channels of the output (3).</param>
/// <param name="NormEpsilon">ε of the batch norm inside the adaptive norm (1e-3 in the TF-slim reference).</param>
/// <param name="Slope">The LeakyReLU slope (0.2).</param>
/// <param name="LayerWidths">Output channels of each 3×3 layer where structured pruning made them
/// differ (each at most <paramref name="Width"/>, then the widest); null when every layer has <paramref name="Width"/>.</param>
public sealed record CanConfig(int InputChannels, int Width, IReadOnlyList<int> Dilations, int OutputChannels = 3, float NormEpsilon = 1e-3f, float Slope = 0.2f,
    IReadOnlyList<int>? LayerWidths = null)
{
    /// <summary>CAN24: eight 3×3 layers at dilations 1, 2, …, 64, then 1, width 24.</summary>
    public static CanConfig Can24 { get; } = new(3, 24, DilationsFor(depth: 9));

    /// <summary>CAN32: nine 3×3 layers at dilations 1, 2, …, 128, then 1, width 32.</summary>
    public static CanConfig Can32 { get; } = new(3, 32, DilationsFor(depth: 10));

    /// <summary>The paper's schedule for a network of <paramref name="depth"/> layers in all
    /// (the last is the 1×1): 1, 2, 4, …, 2^(depth−3), then 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The depth is below 3 or so large a dilation would overflow.</exception>
    public static int[] DilationsFor(int depth)
    {
        if (depth < 3 || depth > 32)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "A context aggregation network has 3 to 32 layers.");
        return [.. Enumerable.Range(0, depth - 2).Select(s => 1 << s), 1];
    }

    /// <summary>Pixels each side of an output pixel that influence it: the sum of the dilations.</summary>
    public int ReceptiveRadius => Dilations.Sum();

    /// <summary>Output channels of 3×3 layer <paramref name="layer"/>.</summary>
    public int WidthOf(int layer) => LayerWidths?[layer] ?? Width;

    /// <summary>Input channels of 3×3 layer <paramref name="layer"/>, or of the 1×1 output layer for
    /// <paramref name="layer"/> = the number of 3×3 layers.</summary>
    public int InputsOf(int layer) => layer == 0 ? InputChannels : WidthOf(layer - 1);

    /// <summary>Multiply-adds per pixel of one forward pass.</summary>
    public long MacsPerPixel => Enumerable.Range(0, Dilations.Count).Sum(i => 9L * InputsOf(i) * WidthOf(i)) + (long)InputsOf(Dilations.Count) * OutputChannels;

    /// <summary>Learned parameters as PyTorch counts them: convolution weights, the output bias, and
    /// per layer λ, μ, γ and β (running statistics are buffers, not parameters).</summary>
    public long ParameterCount => MacsPerPixel + OutputChannels + Enumerable.Range(0, Dilations.Count).Sum(i => 2L + 2L * WidthOf(i));

    /// <summary>Throws unless every size is positive.</summary>
    /// <exception cref="ArgumentException">A size is not positive or the dilations are empty.</exception>
    public void Validate()
    {
        if (InputChannels <= 0 || Width <= 0 || OutputChannels <= 0 || Dilations.Count == 0 || Dilations.Any(d => d <= 0))
            throw new ArgumentException($"A context aggregation network needs positive channel counts and dilations: {this}.");
        if (LayerWidths is not null && (LayerWidths.Count != Dilations.Count || LayerWidths.Any(w => w <= 0 || w > Width) || LayerWidths.Max() != Width))
            throw new ArgumentException($"A context aggregation network needs a width from 1 to {Width} for each of its {Dilations.Count} 3×3 layers, the widest {Width}: {string.Join(",", LayerWidths)}.");
        if (!(NormEpsilon > 0) || !float.IsFinite(Slope))
            throw new ArgumentException($"The norm's ε must be positive and the slope finite: ε = {NormEpsilon}, slope = {Slope}.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"CAN width {(LayerWidths is null ? Width : string.Join(",", LayerWidths))}, {InputChannels} → {OutputChannels} channels, dilations {string.Join(",", Dilations)}";
}
