using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary><c>y = act(x·scale[c] + shift[c])</c> element-wise, the channel found from the flat
/// index (<c>c = (i / ChannelDivisor) % Channels</c>: H·W for NCHW, 1 for NHWC). Applies a
/// batch-mode normalisation and its activation in one pass; may run in place.</summary>
public struct ChannelAffineKernel : IKernel1D, IActivationSpecializedLaunch
{
    /// <summary>The input.</summary>
    public ArrayView<float> Input;
    /// <summary>The output (may be the input).</summary>
    public ArrayView<float> Output;
    /// <summary>Per-channel scale and shift.</summary>
    public ArrayView<float> Scale, Shift;
    /// <summary>Elements between consecutive channels' runs, and the channel count.</summary>
    public int ChannelDivisor, Channels;
    /// <summary>The activation.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Runs <paramref name="kernel"/> over all of its input: on the CPU the vectorised
    /// <see cref="ElementwiseCpu"/> path (the same results but for sigmoid's and tanh's last bits),
    /// elsewhere one thread per element.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="kernel">The views, channel geometry and activation.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    /// <exception cref="ArgumentException">The output's length differs from the input's, the input
    /// is not whole runs of every channel, or scale or shift has fewer than C values.</exception>
    public static void Launch(Accelerator accelerator, ChannelAffineKernel kernel, bool preferPortableKernel = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (kernel.Channels <= 0 || kernel.ChannelDivisor <= 0 || kernel.Output.Length != kernel.Input.Length
            || kernel.Input.Length % ((long)kernel.ChannelDivisor * kernel.Channels) != 0
            || kernel.Scale.Length < kernel.Channels || kernel.Shift.Length < kernel.Channels)
            throw new ArgumentException($"A channel affine over {kernel.Input.Length} elements into {kernel.Output.Length} needs equal lengths, a multiple of divisor {kernel.ChannelDivisor} × {kernel.Channels} channels, and {kernel.Channels} scales ({kernel.Scale.Length}) and shifts ({kernel.Shift.Length}).", nameof(kernel));
        accelerator.CheckView(kernel.Input, "input");
        accelerator.CheckView(kernel.Output, "output");
        accelerator.CheckView(kernel.Scale, "scale");
        accelerator.CheckView(kernel.Shift, "shift");
        OperandChecks.DisjointOrSame(kernel.Input, kernel.Output, "input", "output");
        if (!preferPortableKernel && accelerator.IsHostAddressable())
            ElementwiseCpu.ChannelAffine(kernel);
        else if (accelerator.Device.PrefersBarrierFreeSchedule())
            ActivationFunctions.Launch(accelerator, kernel.Activation, kernel);
        else
            accelerator.Launch(checked((int)kernel.Input.Length), kernel);
    }

    /// <summary>Runs the affine over a dense image, the channel geometry taken from its strides
    /// (the channel stride is the divisor: H·W for NCHW, 1 for NHWC); see
    /// <see cref="Launch(Accelerator, ChannelAffineKernel, bool)"/>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">The input image.</param>
    /// <param name="output">The output image (may be the input).</param>
    /// <param name="scale">C scales.</param>
    /// <param name="shift">C shifts.</param>
    /// <param name="strides">The image's strides.</param>
    /// <param name="channels">C.</param>
    /// <param name="activation">Applied after the affine in the same pass.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    /// <exception cref="ArgumentException">As for the other overload.</exception>
    public static void Launch(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, ArrayView<float> scale, ArrayView<float> shift,
        ImageStrides strides, int channels, Activation activation, bool preferPortableKernel = false)
        => Launch(accelerator, new ChannelAffineKernel
        {
            Input = input, Output = output, Scale = scale, Shift = shift, ChannelDivisor = strides.Channel, Channels = channels,
            Activation = activation.Kind, Slope = activation.Slope,
        }, preferPortableKernel);

    /// <summary>One element.</summary>
    /// <param name="index">Flat index.</param>
    public void Execute(int index) => Output[index] = Gpu.Ops.Activation.Apply(Activation, Slope, Affine(index));

    /// <summary>The affine of element <paramref name="index"/>, before the activation.</summary>
    /// <param name="index">Flat index.</param>
    /// <returns>x·scale + shift of its channel.</returns>
    public readonly float Affine(int index) => Affine(index, index / ChannelDivisor % Channels);

    /// <summary>The affine of element <paramref name="index"/> of channel <paramref name="c"/>.</summary>
    /// <param name="index">Flat index.</param>
    /// <param name="c">Its channel.</param>
    /// <returns>x·scale + shift.</returns>
    public readonly float Affine(int index, int c) => Input[index] * Scale[c] + Shift[c];

    /// <summary>The row length of <see cref="ChannelAffineKernel{TActivation}"/>'s 2D launch: a channel's
    /// run (the divisor), or all channels of a pixel where the divisor is 1 (NHWC).</summary>
    internal readonly int RowLength => ChannelDivisor == 1 ? Channels : ChannelDivisor;

    readonly void IActivationSpecializedLaunch.Launch<TActivation>(Accelerator accelerator)
    {
        int rows = checked((int)(Input.Length / RowLength));
        if (ChannelDivisor == 1)
            accelerator.Launch(RowLength, rows, new ChannelAffinePixelKernel<TActivation> { Parameters = this });
        else
            accelerator.Launch(RowLength, rows, new ChannelAffineKernel<TActivation> { Parameters = this });
    }
}

/// <summary><see cref="ChannelAffineKernel"/> for devices that prefer barrier-free schedules, NCHW: the
/// activation a type (its switch would keep PoCL from vectorising), and a 2D launch over rows of one
/// channel, so the channel is found once per row rather than by two integer divisions per element.
/// NHWC takes <see cref="ChannelAffinePixelKernel{TActivation}"/>: given one kernel that picks the
/// channel per layout at run time, the vectoriser gathers the scale and shift per element even where
/// the whole row has one channel.</summary>
public struct ChannelAffineKernel<TActivation> : IKernel2D where TActivation : struct, IActivationFunction
{
    /// <summary>The views, channel geometry and slope (its <see cref="ChannelAffineKernel.Activation"/> is unused).</summary>
    public ChannelAffineKernel Parameters;
    /// <summary>The activation.</summary>
    public TActivation Function;

    /// <summary>One element.</summary>
    /// <param name="x">Position in the channel's run.</param>
    /// <param name="y">The run: image × channel.</param>
    public void Execute(int x, int y)
    {
        int index = y * Parameters.RowLength + x;
        Parameters.Output[index] = Function.Apply(Parameters.Slope, Parameters.Affine(index, y % Parameters.Channels));
    }
}

/// <summary><see cref="ChannelAffineKernel{TActivation}"/> for NHWC: a 2D launch over pixels, one row per
/// pixel's channels, the channel the position in the row.</summary>
public struct ChannelAffinePixelKernel<TActivation> : IKernel2D where TActivation : struct, IActivationFunction
{
    /// <summary>The views, channel geometry and slope (its <see cref="ChannelAffineKernel.Activation"/> is unused).</summary>
    public ChannelAffineKernel Parameters;
    /// <summary>The activation.</summary>
    public TActivation Function;

    /// <summary>One element.</summary>
    /// <param name="x">The channel.</param>
    /// <param name="y">The pixel.</param>
    public void Execute(int x, int y)
    {
        int index = y * Parameters.Channels + x;
        Parameters.Output[index] = Function.Apply(Parameters.Slope, Parameters.Affine(index, x));
    }
}
