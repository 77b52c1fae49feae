using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>FIP's adaptive normalisation <c>Ψ(x) = λ·x + μ·BN(x)</c>, with
/// <c>BN(x)[c] = γ[c]·(x[c] − mean[c]) / sqrt(var[c] + ε) + β[c]</c>. Inference with stored
/// statistics is a per-channel affine that folds into the preceding convolution; batch mode
/// normalises with the image's own per-channel statistics over N·H·W, reduced on the device (on the
/// CPU by <see cref="ChannelStatisticsCpu"/>, and the affine applied by <see cref="ElementwiseCpu"/>).</summary>
/// <param name="Lambda">λ, one scalar for the layer.</param>
/// <param name="Mu">μ, one scalar for the layer.</param>
/// <param name="Gamma">γ, one per channel.</param>
/// <param name="Beta">β, one per channel.</param>
/// <param name="Epsilon">ε (1e-3 in the TF-slim reference, 1e-5 in PyTorch).</param>
public sealed record AdaptiveNormalization(float Lambda, float Mu, float[] Gamma, float[] Beta, float Epsilon)
{
    /// <summary>Channels.</summary>
    public int Channels => Gamma.Length;

    /// <summary>Run the portable kernels even where the CPU path exists (to test and compare both):
    /// on the CPU, the grouped statistics kernel in its emulation and the one-thread-per-element affine.</summary>
    public bool PreferPortableKernels { get; init; }

    /// <summary>The per-channel affine Ψ becomes with given statistics:
    /// <c>α[c] = λ + μ·γ[c]/σ[c]</c>, <c>β'[c] = μ·(β[c] − γ[c]·mean[c]/σ[c])</c>, σ = sqrt(var + ε).</summary>
    /// <param name="mean">Per-channel means.</param>
    /// <param name="variance">Per-channel (biased) variances.</param>
    /// <returns>Scale α and shift β', one per channel.</returns>
    /// <exception cref="ArgumentException">An array does not hold one value per channel.</exception>
    public (float[] Scale, float[] Shift) Affine(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        Check(mean.Length, variance.Length);
        var scale = new float[Channels];
        var shift = new float[Channels];
        for (int c = 0; c < Channels; c++)
            (scale[c], shift[c]) = AffineOf(Lambda, Mu, Gamma[c], Beta[c], mean[c], variance[c], Epsilon);
        return (scale, shift);
    }

    /// <summary>Folds Ψ with stored statistics into the convolution before it: weights of output
    /// channel o scaled by α[o], bias <c>α·b + β'</c>. The layer then costs nothing at run time.</summary>
    /// <param name="shape">The convolution's geometry (O must equal the channel count).</param>
    /// <param name="weights">Its (O, C, KH, KW) weights.</param>
    /// <param name="bias">Its bias, or null for none.</param>
    /// <param name="mean">Per-channel means.</param>
    /// <param name="variance">Per-channel variances.</param>
    /// <returns>The folded weights and bias.</returns>
    /// <exception cref="ArgumentException">The sizes disagree.</exception>
    public (float[] Weights, float[] Bias) FoldInto(Conv2dShape shape, ReadOnlySpan<float> weights, float[]? bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        if (shape.OutChannels != Channels || weights.Length != shape.WeightLength || (bias is not null && bias.Length != Channels))
            throw new ArgumentException($"Folding a {Channels}-channel normalisation needs a convolution with {Channels} outputs, its {shape.WeightLength} weights and {Channels} biases or none.");
        var (scale, shift) = Affine(mean, variance);
        var folded = weights.ToArray();
        long perOutput = shape.WeightLength / shape.OutChannels;
        var foldedBias = new float[Channels];
        for (int o = 0; o < Channels; o++)
        {
            for (long i = o * perOutput; i < (o + 1) * perOutput; i++)
                folded[i] *= scale[o];
            foldedBias[o] = (bias?[o] ?? 0f) * scale[o] + shift[o];
        }
        return (folded, foldedBias);
    }

    /// <summary>Batch mode: computes each channel's mean and variance over N·H·W of <paramref name="input"/>
    /// on the device, then writes <c>act(Ψ(input))</c> to <paramref name="output"/> (which may be the input).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">N·C·H·W elements.</param>
    /// <param name="output">Same size; may be <paramref name="input"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="activation">Applied after Ψ in the same pass.</param>
    /// <param name="statistics">Receives mean (first C) and variance (next C) when not empty.</param>
    /// <exception cref="ArgumentException">A view has the wrong length.</exception>
    public void ForwardBatch(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout,
        int batch, int height, int width, Activation activation = default, ArrayView<float> statistics = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Check(Channels, Channels);
        CheckImage(Channels, input, output, batch, height, width);
        if (statistics.Length != 0 && statistics.Length != 2 * Channels)
            throw new ArgumentException($"Statistics hold 2·C = {2 * Channels} values or none; {statistics.Length} were given.", nameof(statistics));
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        accelerator.CheckView(statistics);
        OperandChecks.DisjointOrSame(input, output);
        OperandChecks.Disjoint(input, statistics);
        OperandChecks.Disjoint(output, statistics);
        var strides = ImageStrides.Of(layout, Channels, height, width);
        using var moments = accelerator.Allocate<float>(2L * Channels);
        using var parameters = accelerator.Allocate<float>([.. Gamma, .. Beta]);
        using var affine = accelerator.Allocate<float>(2L * Channels);
        if (accelerator.IsHostAddressable() && !PreferPortableKernels)
            ChannelStatisticsCpu.Compute(input, moments.View.AsHostSpan(accelerator), strides, Channels, batch, height * width);
        else
            ChannelStatisticsKernel.Launch(accelerator, input, moments.View, strides, Channels, batch, height * width);
        accelerator.Launch(Channels, new AdaptiveAffineKernel
        {
            Moments = moments.View, Parameters = parameters.View, Affine = affine.View, Channels = Channels,
            Lambda = Lambda, Mu = Mu, Epsilon = Epsilon,
        });
        ChannelAffineKernel.Launch(accelerator, input, output, affine.View.SubView(0, Channels), affine.View.SubView(Channels, Channels),
            strides, Channels, activation, PreferPortableKernels);
        if (statistics.Length != 0)
            accelerator.Launch(2 * Channels, new CopyKernel { Source = moments.View, Destination = statistics });
        accelerator.Synchronize();
    }

    /// <summary>Inference with stored statistics where no convolution precedes the layer to fold
    /// into, prepared once for many runs (a layer applied to every video frame): computes α and β'
    /// (see <see cref="Affine"/>) and uploads them to <paramref name="accelerator"/>, so each
    /// <see cref="FoldedAdaptiveNormalization.Forward"/> is only the per-element pass. The layer is a
    /// snapshot: later changes to γ, β or the statistics do not reach it.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="mean">The stored per-channel means.</param>
    /// <param name="variance">The stored per-channel variances.</param>
    /// <returns>The prepared layer; dispose it to free its device buffer.</returns>
    /// <exception cref="ArgumentException">β or a statistics array does not hold one value per channel.</exception>
    public FoldedAdaptiveNormalization PrepareFolded(Accelerator accelerator, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        var (scale, shift) = Affine(mean, variance);
        return new FoldedAdaptiveNormalization(accelerator, scale, shift, PreferPortableKernels);
    }

    /// <summary>One run of inference with stored statistics (see <see cref="PrepareFolded"/>, which
    /// repeated runs should use instead): writes <c>act(α[c]·x + β'[c])</c> to
    /// <paramref name="output"/>, which may be the input, and waits for it.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">N·C·H·W elements.</param>
    /// <param name="output">Same size; may be <paramref name="input"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="mean">The stored per-channel means.</param>
    /// <param name="variance">The stored per-channel variances.</param>
    /// <param name="activation">Applied after Ψ in the same pass.</param>
    /// <exception cref="ArgumentException">A view or a statistics array has the wrong length.</exception>
    public void ForwardFolded(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Activation activation = default)
    {
        using var prepared = PrepareFolded(accelerator, mean, variance);
        prepared.Forward(input, output, layout, batch, height, width, activation);
        // The layer's buffer is freed on return, under a pass that may still be queued.
        accelerator.Synchronize();
    }

    /// <summary>Throws unless <paramref name="input"/> and <paramref name="output"/> each hold one
    /// positive N×C×H×W image of under 2^31 elements.</summary>
    internal static void CheckImage(int channels, ArrayView<float> input, ArrayView<float> output, int batch, int height, int width)
    {
        long count = (long)batch * channels * height * width;
        if (batch <= 0 || height <= 0 || width <= 0 || count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), $"Image dimensions must be positive and hold under 2^31 elements: {batch}×{channels}×{height}×{width}.");
        if (input.Length != count || output.Length != count)
            throw new ArgumentException($"A {batch}×{channels}×{height}×{width} image holds {count} elements; input has {input.Length}, output {output.Length}.");
    }

    /// <summary>α and β' of one channel; shared by the host fold and the device kernel.</summary>
    /// <param name="lambda">λ.</param>
    /// <param name="mu">μ.</param>
    /// <param name="gamma">γ[c].</param>
    /// <param name="beta">β[c].</param>
    /// <param name="mean">mean[c].</param>
    /// <param name="variance">var[c].</param>
    /// <param name="epsilon">ε.</param>
    /// <returns>(α, β').</returns>
    public static (float Scale, float Shift) AffineOf(float lambda, float mu, float gamma, float beta, float mean, float variance, float epsilon)
    {
        float ratio = gamma / MathF.Sqrt(variance + epsilon);
        return (lambda + mu * ratio, mu * (beta - ratio * mean));
    }

    private void Check(int meanLength, int varianceLength)
    {
        if (Beta.Length != Channels || meanLength != Channels || varianceLength != Channels)
            throw new ArgumentException($"γ has {Channels} channels; β {Beta.Length}, mean {meanLength}, variance {varianceLength}: all must match.");
    }
}

/// <summary>Per channel: α and β' from the reduced moments, on the device, so batch mode never
/// round-trips through the host.</summary>
public struct AdaptiveAffineKernel : IKernel1D
{
    /// <summary>Means (first C) and variances (next C).</summary>
    public ArrayView<float> Moments;
    /// <summary>γ (first C) and β (next C).</summary>
    public ArrayView<float> Parameters;
    /// <summary>Receives α (first C) and β' (next C).</summary>
    public ArrayView<float> Affine;
    /// <summary>C.</summary>
    public int Channels;
    /// <summary>λ, μ, ε.</summary>
    public float Lambda, Mu, Epsilon;

    /// <summary>One channel.</summary>
    /// <param name="c">The channel.</param>
    public void Execute(int c)
    {
        float ratio = Parameters[c] / MathF.Sqrt(Moments[Channels + c] + Epsilon);
        Affine[c] = Lambda + Mu * ratio;
        Affine[Channels + c] = Mu * (Parameters[Channels + c] - ratio * Moments[c]);
    }
}

/// <summary>Copies a view.</summary>
public struct CopyKernel : IKernel1D
{
    /// <summary>Source and destination.</summary>
    public ArrayView<float> Source, Destination;

    /// <summary>One element.</summary>
    /// <param name="index">The element.</param>
    public void Execute(int index) => Destination[index] = Source[index];
}
