using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary><c>y = act(x·scale[c] + shift[c])</c> element-wise, the channel found from the flat
/// index (<c>c = (i / ChannelDivisor) % Channels</c>: H·W for NCHW, 1 for NHWC). Applies a
/// batch-mode normalisation and its activation in one pass; may run in place.</summary>
public struct ChannelAffineKernel : IKernel1D
{
    /// <summary>The input.</summary>
    public View<float> Input;
    /// <summary>The output (may be the input).</summary>
    public View<float> Output;
    /// <summary>Per-channel scale and shift.</summary>
    public View<float> Scale, Shift;
    /// <summary>Elements between consecutive channels' runs, and the channel count.</summary>
    public int ChannelDivisor, Channels;
    /// <summary>The activation.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>One element.</summary>
    /// <param name="index">Flat index.</param>
    public void Execute(int index)
    {
        int c = index / ChannelDivisor % Channels;
        Output[index] = Gpu.Ops.Activation.Apply(Activation, Slope, Input[index] * Scale[c] + Shift[c]);
    }
}
