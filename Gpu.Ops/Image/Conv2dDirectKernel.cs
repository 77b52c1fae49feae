using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The portable convolution: one thread per output element, any geometry and either
/// layout (the strides decide), with the fused epilogue. Runs on every device.</summary>
public struct Conv2dDirectKernel : IKernel3D
{
    /// <summary>The input image.</summary>
    public ArrayView<float> Input;
    /// <summary>(O, C, KH, KW) weights.</summary>
    public ArrayView<float> Weights;
    /// <summary>Per-output-channel epilogue scale and shift.</summary>
    public ArrayView<float> Scale, Shift;
    /// <summary>Added after the activation when not empty; laid out like the output.</summary>
    public ArrayView<float> Residual;
    /// <summary>The output image.</summary>
    public ArrayView<float> Output;
    /// <summary>Strides of input and output.</summary>
    public ImageStrides InStrides, OutStrides;
    /// <summary>Geometry.</summary>
    public int InChannels, OutChannels, Height, Width, KernelHeight, KernelWidth, Stride, Dilation, PadTop, PadLeft;
    /// <summary>The activation.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Output element (n, o, y, x) with z = n·O + o.</summary>
    /// <param name="x">Output column.</param>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·O + o.</param>
    public void Execute(int x, int y, int z)
    {
        int n = z / OutChannels;
        int o = z - n * OutChannels;
        float sum = 0f;
        for (int c = 0; c < InChannels; c++)
        {
            for (int u = 0; u < KernelHeight; u++)
            {
                int inY = y * Stride + u * Dilation - PadTop;
                if (inY < 0 || inY >= Height)
                    continue;
                for (int v = 0; v < KernelWidth; v++)
                {
                    int inX = x * Stride + v * Dilation - PadLeft;
                    if (inX >= 0 && inX < Width)
                        sum += Weights[((o * InChannels + c) * KernelHeight + u) * KernelWidth + v] * Input[ImageStrides.OffsetOf(InStrides, n, c, inY, inX)];
                }
            }
        }
        int at = ImageStrides.OffsetOf(OutStrides, n, o, y, x);
        Output[at] = ConvEpilogueMath.Finish(sum, Scale[o], Shift[o], Activation, Slope, Residual, at);
    }
}

/// <summary>The epilogue arithmetic every convolution path shares.</summary>
public static class ConvEpilogueMath
{
    /// <summary><c>act(sum·scale + shift)</c>, plus <c>residual[at]</c> when the residual view is not empty.</summary>
    /// <param name="sum">The convolution sum.</param>
    /// <param name="scale">The channel's scale.</param>
    /// <param name="shift">The channel's shift.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="slope">The LeakyReLU slope.</param>
    /// <param name="residual">Residual values, or an empty view.</param>
    /// <param name="at">The output element's offset.</param>
    /// <returns>The value stored.</returns>
    public static float Finish(float sum, float scale, float shift, ActivationKind activation, float slope, ArrayView<float> residual, int at)
    {
        float value = Gpu.Ops.Activation.Apply(activation, slope, sum * scale + shift);
        if (residual.Length > 0)
            value += residual[at];
        return value;
    }
}
