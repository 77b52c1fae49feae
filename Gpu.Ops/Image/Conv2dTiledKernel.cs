using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The GPU convolution for NCHW: a group of 16×16 threads computes a 16×16-pixel tile
/// of four output channels, one pixel and four channels per thread. For each input channel the
/// group stages the tile's input footprint (dilated, zero-padded) and the four channels' taps in
/// shared memory, so each input value is read from global memory once per group instead of
/// once per tap and output channel.</summary>
public struct Conv2dTiledKernel : IGroupKernel
{
    /// <summary>Output pixels per tile side (threads per group side).</summary>
    public const int Tile = 16;
    /// <summary>Side of the shared input footprint: the largest (Tile−1)·s + (K−1)·d + 1 the kernel takes.</summary>
    public const int Span = 48;
    /// <summary>Output channels per thread.</summary>
    public const int ChannelsPerThread = 4;
    /// <summary>Most taps (KH·KW) the kernel takes.</summary>
    public const int MaxTaps = 9;

    /// <summary>NCHW input.</summary>
    public ArrayView<float> Input;
    /// <summary>(O, C, KH, KW) weights.</summary>
    public ArrayView<float> Weights;
    /// <summary>Per-output-channel epilogue scale and shift.</summary>
    public ArrayView<float> Scale, Shift;
    /// <summary>Added after the activation when not empty.</summary>
    public ArrayView<float> Residual;
    /// <summary>NCHW output.</summary>
    public ArrayView<float> Output;
    /// <summary>Geometry.</summary>
    public int InChannels, OutChannels, Height, Width, OutHeight, OutWidth, KernelHeight, KernelWidth, Stride, Dilation, PadTop, PadLeft, ChannelGroups;
    /// <summary>The activation.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Whether a layer's taps and dilated footprint fit the kernel's shared tiles.</summary>
    /// <param name="shape">The geometry.</param>
    /// <returns>True when the tiled kernel can run it.</returns>
    public static bool Fits(Conv2dShape shape)
        => shape.KernelHeight * shape.KernelWidth <= MaxTaps
           && (long)(Tile - 1) * shape.Stride + (long)(shape.KernelHeight - 1) * shape.Dilation + 1 <= Span
           && (long)(Tile - 1) * shape.Stride + (long)(shape.KernelWidth - 1) * shape.Dilation + 1 <= Span;

    /// <summary>The grouped launch covering a layer's output.</summary>
    /// <param name="shape">The geometry.</param>
    /// <returns>Groups of 16×16 threads over (width tiles, height tiles, N × channel groups).</returns>
    public static GroupedExtent ExtentOf(Conv2dShape shape)
        => new((shape.OutWidth + Tile - 1) / Tile, (shape.OutHeight + Tile - 1) / Tile,
            shape.Batch * ((shape.OutChannels + ChannelsPerThread - 1) / ChannelsPerThread), Tile, Tile, 1);

    /// <summary>The kernel for a layer.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">NCHW input.</param>
    /// <param name="weights">(O, C, KH, KW) weights.</param>
    /// <param name="scale">O epilogue scales.</param>
    /// <param name="shift">O epilogue shifts.</param>
    /// <param name="residual">Residual or empty.</param>
    /// <param name="output">NCHW output.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The kernel.</returns>
    public static Conv2dTiledKernel For(Conv2dShape shape, ArrayView<float> input, ArrayView<float> weights, ArrayView<float> scale, ArrayView<float> shift,
        ArrayView<float> residual, ArrayView<float> output, Activation activation) => new()
    {
        Input = input, Weights = weights, Scale = scale, Shift = shift,
        Residual = residual, Output = output,
        InChannels = shape.InChannels, OutChannels = shape.OutChannels, Height = shape.Height, Width = shape.Width,
        OutHeight = shape.OutHeight, OutWidth = shape.OutWidth, KernelHeight = shape.KernelHeight, KernelWidth = shape.KernelWidth,
        Stride = shape.Stride, Dilation = shape.Dilation, PadTop = shape.Padding.Top, PadLeft = shape.Padding.Left,
        ChannelGroups = (shape.OutChannels + ChannelsPerThread - 1) / ChannelsPerThread,
        Activation = activation.Kind, Slope = activation.Slope,
    };

    /// <summary>One thread: one output pixel of four output channels.</summary>
    public void Execute()
    {
        ArrayView<float> tile = SharedMemory.Allocate<float>(Span * Span);
        ArrayView<float> taps = SharedMemory.Allocate<float>(ChannelsPerThread * MaxTaps);
        int tx = Group.IdxX, ty = Group.IdxY;
        int thread = ty * Tile + tx;
        int n = Grid.IdxZ / ChannelGroups;
        int o0 = (Grid.IdxZ - n * ChannelGroups) * ChannelsPerThread;
        int outX = Grid.IdxX * Tile + tx, outY = Grid.IdxY * Tile + ty;
        int originX = Grid.IdxX * Tile * Stride - PadLeft, originY = Grid.IdxY * Tile * Stride - PadTop;
        int spanX = (Tile - 1) * Stride + (KernelWidth - 1) * Dilation + 1;
        int spanY = (Tile - 1) * Stride + (KernelHeight - 1) * Dilation + 1;
        int tapCount = KernelHeight * KernelWidth;
        float sum0 = 0f, sum1 = 0f, sum2 = 0f, sum3 = 0f;
        for (int c = 0; c < InChannels; c++)
        {
            int plane = (n * InChannels + c) * Height;
            for (int i = thread; i < spanX * spanY; i += Tile * Tile)
            {
                int localY = i / spanX, localX = i - localY * spanX;
                int y = originY + localY, x = originX + localX;
                tile[localY * Span + localX] = y >= 0 && y < Height && x >= 0 && x < Width ? Input[(plane + y) * Width + x] : 0f;
            }
            if (thread < ChannelsPerThread * tapCount)
            {
                int k = thread / tapCount;
                int o = o0 + k;
                taps[thread] = o < OutChannels ? Weights[(o * InChannels + c) * tapCount + thread - k * tapCount] : 0f;
            }
            Group.Barrier();
            for (int u = 0; u < KernelHeight; u++)
            {
                for (int v = 0; v < KernelWidth; v++)
                {
                    float x = tile[(ty * Stride + u * Dilation) * Span + tx * Stride + v * Dilation];
                    int t = u * KernelWidth + v;
                    sum0 += taps[t] * x;
                    sum1 += taps[tapCount + t] * x;
                    sum2 += taps[2 * tapCount + t] * x;
                    sum3 += taps[3 * tapCount + t] * x;
                }
            }
            Group.Barrier();
        }
        if (outX < OutWidth && outY < OutHeight)
        {
            int plane = OutHeight * OutWidth;
            int at = ((n * OutChannels + o0) * OutHeight + outY) * OutWidth + outX;
            Output[at] = ConvEpilogueMath.Finish(sum0, Scale[o0], Shift[o0], Activation, Slope, Residual, at);
            if (o0 + 1 < OutChannels)
                Output[at + plane] = ConvEpilogueMath.Finish(sum1, Scale[o0 + 1], Shift[o0 + 1], Activation, Slope, Residual, at + plane);
            if (o0 + 2 < OutChannels)
                Output[at + 2 * plane] = ConvEpilogueMath.Finish(sum2, Scale[o0 + 2], Shift[o0 + 2], Activation, Slope, Residual, at + 2 * plane);
            if (o0 + 3 < OutChannels)
                Output[at + 3 * plane] = ConvEpilogueMath.Finish(sum3, Scale[o0 + 3], Shift[o0 + 3], Activation, Slope, Residual, at + 3 * plane);
        }
    }
}
