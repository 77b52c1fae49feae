namespace Gpu.Ops.Image;

/// <summary>What a convolution does to each sum before storing it, in one pass:
/// <c>act((acc + bias[o])·scale[o] + shift[o])</c>, then <c>+ residual</c> when the run passes one.
/// The per-channel affine is a folded normalisation (see <see cref="AdaptiveNormalization"/>).</summary>
/// <param name="Bias">O biases, or null for none.</param>
/// <param name="Scale">O per-channel scales, or null for 1.</param>
/// <param name="Shift">O per-channel shifts, or null for 0.</param>
/// <param name="Activation">The activation (ReLU, LeakyReLU or none).</param>
public sealed record Conv2dEpilogue(float[]? Bias = null, float[]? Scale = null, float[]? Shift = null, Activation Activation = default)
{
    /// <summary>Bias only, no activation.</summary>
    public static Conv2dEpilogue None { get; } = new();

    /// <summary>The epilogue folded into one scale and one shift per output channel:
    /// <c>scale·acc + (bias·scale + shift)</c>.</summary>
    /// <param name="outChannels">O.</param>
    /// <returns>Scales and shifts, O each.</returns>
    /// <exception cref="ArgumentException">An array is not O long.</exception>
    public (float[] Scale, float[] Shift) PerChannelAffine(int outChannels)
    {
        CheckLength(Bias, outChannels, nameof(Bias));
        CheckLength(Scale, outChannels, nameof(Scale));
        CheckLength(Shift, outChannels, nameof(Shift));
        var scale = new float[outChannels];
        var shift = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            scale[o] = Scale?[o] ?? 1f;
            shift[o] = (Bias?[o] ?? 0f) * scale[o] + (Shift?[o] ?? 0f);
        }
        return (scale, shift);
    }

    private static void CheckLength(float[]? values, int outChannels, string name)
    {
        if (values is not null && values.Length != outChannels)
            throw new ArgumentException($"The epilogue's {name} holds {values.Length} values; the convolution has {outChannels} output channels.", name);
    }
}
