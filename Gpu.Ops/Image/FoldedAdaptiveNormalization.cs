using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>An <see cref="AdaptiveNormalization"/> with stored statistics, prepared on one
/// accelerator: its per-channel affine α, β' lives on the device, so a run is only the
/// per-element pass <c>act(α[c]·x + β'[c])</c>. Made by
/// <see cref="AdaptiveNormalization.PrepareFolded"/>. Like other layers, runs are queued without
/// waiting; dispose the layer only once they have finished.</summary>
public sealed class FoldedAdaptiveNormalization : IDisposable
{
    // α (first C) and β' (next C) in one allocation, as batch mode keeps them.
    private readonly DeviceBuffer<float> affine;
    private readonly bool preferPortableKernel;
    private bool disposed;

    internal FoldedAdaptiveNormalization(Accelerator accelerator, float[] scale, float[] shift, bool preferPortableKernel)
    {
        Accelerator = accelerator;
        Channels = scale.Length;
        this.preferPortableKernel = preferPortableKernel;
        affine = accelerator.Allocate<float>([.. scale, .. shift]);
    }

    /// <summary>The accelerator the layer belongs to; the views of every run must be its memory.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Writes <c>act(α[c]·x + β'[c])</c> to <paramref name="output"/>, which may be the
    /// input: on the CPU vectorised per channel run (unless the normalisation preferred the portable
    /// kernels when prepared), elsewhere one thread per element.</summary>
    /// <param name="input">N·C·H·W elements on <see cref="Accelerator"/>.</param>
    /// <param name="output">Same size; may be <paramref name="input"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="activation">Applied after Ψ in the same pass.</param>
    /// <exception cref="ObjectDisposedException">The layer was disposed.</exception>
    /// <exception cref="ArgumentException">A view does not hold the N×C×H×W image, or a dimension is not positive.</exception>
    public void Forward(ArrayView<float> input, ArrayView<float> output, TensorLayout layout, int batch, int height, int width, Activation activation = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        AdaptiveNormalization.CheckImage(Channels, input, output, batch, height, width);
        ChannelAffineKernel.Launch(Accelerator, input, output, affine.View.SubView(0, Channels), affine.View.SubView(Channels, Channels),
            ImageStrides.Of(layout, Channels, height, width), Channels, activation, preferPortableKernel);
    }

    /// <summary>Frees the device copy of the affine. Later runs throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        disposed = true;
        affine.Dispose();
    }
}
