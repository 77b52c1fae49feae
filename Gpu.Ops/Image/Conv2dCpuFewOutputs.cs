using System.Runtime.CompilerServices;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="Conv2d"/> for layers with one to three output channels (a
/// network's last layer, 64 → 1 in VDSR or 64 → 3 for RGB). The direct path vectorises over output
/// channels, so a single channel fills one lane of eight or sixteen; here each output is a dot
/// product over taps × input channels, vectorised over the input channels (NHWC keeps them
/// contiguous), several pixels at a time, and summed across lanes once at the end.</summary>
internal static unsafe class Conv2dCpuFewOutputs
{
    /// <summary>Most output channels: three weight vectors and four pixels fill twelve accumulators.</summary>
    internal const int MaxOutChannels = 3;

    /// <summary>Pixels per block with one output channel: one weight vector feeds eight accumulators.</summary>
    private const int SingleOutputPixels = 8;

    /// <summary>Pixels per block with two or three output channels.</summary>
    private const int MultipleOutputPixels = 4;

    /// <summary>Whether the path computes this geometry at <paramref name="lanes"/> floats per
    /// vector: at most three output channels, input channels a whole number of vectors.</summary>
    internal static bool Supports(Conv2dShape shape, int lanes) => shape.OutChannels <= MaxOutChannels && shape.InChannels % lanes == 0;

    /// <summary>Packs (O, C, KH, KW) weights as [O][KH·KW][C] from the array's first 64-byte boundary.</summary>
    internal static float[] Pack(Conv2dShape shape, ReadOnlySpan<float> weights)
    {
        int taps = shape.KernelHeight * shape.KernelWidth, channels = shape.InChannels;
        var packed = Conv2dCpuNhwc.AllocatePacked((long)shape.OutChannels * taps * channels, out float* start);
        for (int o = 0; o < shape.OutChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int tap = 0; tap < taps; tap++)
                    start[((long)o * taps + tap) * channels + c] = weights[(o * channels + c) * taps + tap];
        return packed;
    }

    /// <summary>Runs the convolution over <paramref name="operands"/>, whose packed weights come from <see cref="Pack"/>.</summary>
    internal static void Run<TIsa, TVector>(Conv2dCpuNhwc.Operands operands)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        CpuRows.ForEachRowRange(shape.Batch * shape.OutHeight, (first, end) => RunRows<TIsa, TVector>(operands, first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows<TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int firstRow, int endRow)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int outChannels = shape.OutChannels;
        int pixelsPerBlock = outChannels == 1 ? SingleOutputPixels : MultipleOutputPixels;
        // sums[p · MaxOutChannels + o], the layout StorePixel reads a pixel's channels from.
        float* sums = stackalloc float[SingleOutputPixels * MaxOutChannels];
        float** pixels = stackalloc float*[SingleOutputPixels];
        for (int row = firstRow; row < endRow; row++)
        {
            int n = row / shape.OutHeight, outY = row - n * shape.OutHeight;
            for (int outX = 0; outX < shape.OutWidth; outX += pixelsPerBlock)
            {
                if (outChannels == 1)
                    Block8x1<TIsa, TVector>(operands, n, outY, outX, pixels, sums);
                else
                    Block4x3<TIsa, TVector>(operands, n, outY, outX, pixels, sums);
                int count = Math.Min(pixelsPerBlock, shape.OutWidth - outX);
                long pixel = ((long)n * shape.OutHeight + outY) * shape.OutWidth + outX;
                for (int p = 0; p < count; p++)
                    Conv2dCpuNhwc.StorePixel(operands, sums + p * MaxOutChannels, (pixel + p) * outChannels, 0, outChannels);
            }
        }
    }

    /// <summary>One output channel at eight pixels: per vector of input channels, one weight load
    /// feeds eight accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block8x1<TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int n, int outY, int outX, float** pixels, float* sums)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, channels = shape.InChannels, taps = shape.KernelWidth;
        TVector s0 = TIsa.Zero, s1 = TIsa.Zero, s2 = TIsa.Zero, s3 = TIsa.Zero, s4 = TIsa.Zero, s5 = TIsa.Zero, s6 = TIsa.Zero, s7 = TIsa.Zero;
        for (int u = 0; u < shape.KernelHeight; u++)
        {
            float* inputRow = Conv2dCpuNhwc.InputRow(operands, n, outY, u);
            if (inputRow == null)
                continue;
            for (int v = 0; v < taps; v++)
            {
                Conv2dCpuNhwc.PointPixels(operands, inputRow, outX, v, SingleOutputPixels, pixels);
                float* p0 = pixels[0], p1 = pixels[1], p2 = pixels[2], p3 = pixels[3], p4 = pixels[4], p5 = pixels[5], p6 = pixels[6], p7 = pixels[7];
                float* w = operands.Packed + (long)(u * taps + v) * channels;
                for (int c = 0; c < channels; c += lanes)
                {
                    TVector weight = TIsa.Load(w + c);
                    s0 = TIsa.MultiplyAdd(weight, TIsa.Load(p0 + c), s0);
                    s1 = TIsa.MultiplyAdd(weight, TIsa.Load(p1 + c), s1);
                    s2 = TIsa.MultiplyAdd(weight, TIsa.Load(p2 + c), s2);
                    s3 = TIsa.MultiplyAdd(weight, TIsa.Load(p3 + c), s3);
                    s4 = TIsa.MultiplyAdd(weight, TIsa.Load(p4 + c), s4);
                    s5 = TIsa.MultiplyAdd(weight, TIsa.Load(p5 + c), s5);
                    s6 = TIsa.MultiplyAdd(weight, TIsa.Load(p6 + c), s6);
                    s7 = TIsa.MultiplyAdd(weight, TIsa.Load(p7 + c), s7);
                }
            }
        }
        sums[0] = TIsa.Sum(s0); sums[MaxOutChannels] = TIsa.Sum(s1);
        sums[2 * MaxOutChannels] = TIsa.Sum(s2); sums[3 * MaxOutChannels] = TIsa.Sum(s3);
        sums[4 * MaxOutChannels] = TIsa.Sum(s4); sums[5 * MaxOutChannels] = TIsa.Sum(s5);
        sums[6 * MaxOutChannels] = TIsa.Sum(s6); sums[7 * MaxOutChannels] = TIsa.Sum(s7);
    }

    /// <summary>Two or three output channels at four pixels (a missing third channel repeats the
    /// first's weights and its sums are never stored).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4x3<TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int n, int outY, int outX, float** pixels, float* sums)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, channels = shape.InChannels, taps = shape.KernelWidth;
        long channelStride = (long)shape.KernelHeight * taps * channels;
        long secondOffset = channelStride, thirdOffset = shape.OutChannels > 2 ? 2 * channelStride : 0;
        TVector a00 = TIsa.Zero, a01 = TIsa.Zero, a02 = TIsa.Zero, a03 = TIsa.Zero;
        TVector a10 = TIsa.Zero, a11 = TIsa.Zero, a12 = TIsa.Zero, a13 = TIsa.Zero;
        TVector a20 = TIsa.Zero, a21 = TIsa.Zero, a22 = TIsa.Zero, a23 = TIsa.Zero;
        for (int u = 0; u < shape.KernelHeight; u++)
        {
            float* inputRow = Conv2dCpuNhwc.InputRow(operands, n, outY, u);
            if (inputRow == null)
                continue;
            for (int v = 0; v < taps; v++)
            {
                Conv2dCpuNhwc.PointPixels(operands, inputRow, outX, v, MultipleOutputPixels, pixels);
                float* p0 = pixels[0], p1 = pixels[1], p2 = pixels[2], p3 = pixels[3];
                float* w = operands.Packed + (long)(u * taps + v) * channels;
                for (int c = 0; c < channels; c += lanes)
                {
                    TVector w0 = TIsa.Load(w + c), w1 = TIsa.Load(w + secondOffset + c), w2 = TIsa.Load(w + thirdOffset + c);
                    TVector x = TIsa.Load(p0 + c);
                    a00 = TIsa.MultiplyAdd(w0, x, a00); a10 = TIsa.MultiplyAdd(w1, x, a10); a20 = TIsa.MultiplyAdd(w2, x, a20);
                    x = TIsa.Load(p1 + c);
                    a01 = TIsa.MultiplyAdd(w0, x, a01); a11 = TIsa.MultiplyAdd(w1, x, a11); a21 = TIsa.MultiplyAdd(w2, x, a21);
                    x = TIsa.Load(p2 + c);
                    a02 = TIsa.MultiplyAdd(w0, x, a02); a12 = TIsa.MultiplyAdd(w1, x, a12); a22 = TIsa.MultiplyAdd(w2, x, a22);
                    x = TIsa.Load(p3 + c);
                    a03 = TIsa.MultiplyAdd(w0, x, a03); a13 = TIsa.MultiplyAdd(w1, x, a13); a23 = TIsa.MultiplyAdd(w2, x, a23);
                }
            }
        }
        sums[0] = TIsa.Sum(a00); sums[1] = TIsa.Sum(a10); sums[2] = TIsa.Sum(a20);
        sums[MaxOutChannels] = TIsa.Sum(a01); sums[MaxOutChannels + 1] = TIsa.Sum(a11); sums[MaxOutChannels + 2] = TIsa.Sum(a21);
        sums[2 * MaxOutChannels] = TIsa.Sum(a02); sums[2 * MaxOutChannels + 1] = TIsa.Sum(a12); sums[2 * MaxOutChannels + 2] = TIsa.Sum(a22);
        sums[3 * MaxOutChannels] = TIsa.Sum(a03); sums[3 * MaxOutChannels + 1] = TIsa.Sum(a13); sums[3 * MaxOutChannels + 2] = TIsa.Sum(a23);
    }
}
