using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The CPU fast path of <see cref="Conv2d"/>: NHWC tensors, weights packed once per
/// layer as [tap][input channel][output channel padded to whole vectors], and FMA micro-kernels
/// that hold a block of output channels × pixels in registers, broadcasting one input value at a
/// time. Dilation is plain index arithmetic: a tap whose input row lies outside the image is
/// skipped, and a pixel whose input column does is pointed at a row of zeros, so the inner loop
/// never tests a border. Rows are spread over the cores.</summary>
internal static unsafe class Conv2dCpuNhwc
{
    /// <summary>The SIMD width to use; tests force AVX2 on machines that have AVX-512.</summary>
    internal static CpuVectorWidth ForcedWidth { get; set; }

    /// <summary>The width the next run will use, or null when the processor has no supported one.</summary>
    internal static CpuVectorWidth? ActiveWidth => ForcedWidth switch
    {
        CpuVectorWidth.Avx512 => Avx512Isa.IsSupported ? CpuVectorWidth.Avx512 : null,
        CpuVectorWidth.Avx2 => Avx2Isa.IsSupported ? CpuVectorWidth.Avx2 : null,
        _ => Avx512Isa.IsSupported ? CpuVectorWidth.Avx512 : Avx2Isa.IsSupported ? CpuVectorWidth.Avx2 : null,
    };

    /// <summary>Float lanes of a width.</summary>
    internal static int LanesOf(CpuVectorWidth width) => width == CpuVectorWidth.Avx512 ? Avx512Isa.Width : Avx2Isa.Width;

    /// <summary>Output channels rounded up to whole register blocks: three vectors when they
    /// divide evenly (24 channels on AVX2), otherwise pairs.</summary>
    internal static int PaddedOutChannels(int outChannels, int lanes)
    {
        int vectors = (outChannels + lanes - 1) / lanes;
        return (vectors % 3 == 0 ? vectors : (vectors + 1) / 2 * 2) * lanes;
    }

    /// <summary>Packs (O, C, KH, KW) weights as [KH·KW][C][padded O], zero-filled past O, starting
    /// at the array's first 64-byte boundary (<see cref="AlignedStart"/>): rows of padded O are whole
    /// vectors, so no weight load of the micro-kernels straddles two cache lines.</summary>
    internal static float[] Pack(Conv2dShape shape, ReadOnlySpan<float> weights, int paddedOut)
    {
        int taps = shape.KernelHeight * shape.KernelWidth, channels = shape.InChannels;
        var packed = AllocatePacked(taps * channels * paddedOut, out float* start);
        for (int o = 0; o < shape.OutChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int tap = 0; tap < taps; tap++)
                    start[(tap * channels + c) * paddedOut + o] = weights[(o * channels + c) * taps + tap];
        return packed;
    }

    private const int CacheLineFloats = 64 / sizeof(float);

    /// <summary>A pinned array for <paramref name="floats"/> packed weights that start at its first
    /// 64-byte boundary, <paramref name="start"/> (see <see cref="AlignedStart"/>).</summary>
    internal static float[] AllocatePacked(long floats, out float* start)
    {
        var packed = GC.AllocateArray<float>(checked((int)floats) + CacheLineFloats, pinned: true);
        start = AlignedStart(packed);
        return packed;
    }

    /// <summary>The first 64-byte aligned element of a pinned array from <see cref="AllocatePacked"/>.</summary>
    internal static float* AlignedStart(float[] pinned) =>
        (float*)(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned)) + 63) & ~(nint)63);

    /// <summary>Everything one run needs, as raw pointers.</summary>
    internal struct Operands
    {
        public Conv2dShape Shape;
        public float* Input, Output, Residual, Packed, Scale, Shift, Zeros;
        /// <summary>The (O, C, KH, KW) weights as given, for the Winograd tiles summed directly.</summary>
        public float* Weights;
        public int PaddedOut;
        public ActivationKind Activation;
        public float Slope;
    }

    /// <summary>Runs the convolution at the active width; false when the processor has none.</summary>
    /// <param name="operands">The run, its weights packed for <paramref name="algorithm"/> by <see cref="PackFor"/>.</param>
    /// <param name="algorithm">The direct taps or a Winograd algorithm (<see cref="Conv2dPath.CpuSimd"/>,
    /// <see cref="Conv2dPath.CpuWinograd"/> or <see cref="Conv2dPath.CpuWinograd4x4"/>).</param>
    internal static bool TryForward(in Operands operands, Conv2dPath algorithm)
    {
        switch (ActiveWidth)
        {
            case CpuVectorWidth.Avx512:
                Dispatch<Avx512Isa, Vector512<float>>(operands, algorithm);
                return true;
            case CpuVectorWidth.Avx2:
                Dispatch<Avx2Isa, Vector256<float>>(operands, algorithm);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The weights of <paramref name="algorithm"/> at <paramref name="lanes"/> floats per
    /// vector, in the order its kernels read them.</summary>
    internal static float[] PackFor(Conv2dPath algorithm, Conv2dShape shape, ReadOnlySpan<float> weights, int paddedOut, int lanes) => algorithm switch
    {
        Conv2dPath.CpuWinograd => Conv2dCpuWinograd.Pack<WinogradF2x2>(shape, weights, paddedOut),
        Conv2dPath.CpuWinograd4x4 => Conv2dCpuWinograd.Pack<WinogradF4x4>(shape, weights, paddedOut),
        _ when Conv2dCpuFewOutputs.Supports(shape, lanes) => Conv2dCpuFewOutputs.Pack(shape, weights),
        _ => Pack(shape, weights, paddedOut),
    };

    private static void Dispatch<TIsa, TVector>(in Operands operands, Conv2dPath algorithm)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        switch (algorithm)
        {
            case Conv2dPath.CpuWinograd:
                Conv2dCpuWinograd.Run<WinogradF2x2, TIsa, TVector>(operands);
                break;
            case Conv2dPath.CpuWinograd4x4:
                Conv2dCpuWinograd.Run<WinogradF4x4, TIsa, TVector>(operands);
                break;
            default:
                // One to three output channels would fill one to three lanes of each vector here.
                if (Conv2dCpuFewOutputs.Supports(operands.Shape, TIsa.Width))
                    Conv2dCpuFewOutputs.Run<TIsa, TVector>(operands);
                else
                    Run<TIsa, TVector>(operands);
                break;
        }
    }

    private static void Run<TIsa, TVector>(Operands operands)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int rows = shape.Batch * shape.OutHeight;
        // A few chunks per core balance rows whose taps fall off the image (cheaper) against full ones.
        int chunks = Math.Min(rows, Environment.ProcessorCount * 4);
        if (chunks <= 1)
        {
            RunRows<TIsa, TVector>(operands, 0, rows);
            return;
        }
        Parallel.For(0, chunks, CpuRows.OneWorkerPerCore, chunk => RunRows<TIsa, TVector>(operands, (int)((long)rows * chunk / chunks), (int)((long)rows * (chunk + 1) / chunks)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows<TIsa, TVector>(in Operands operands, int firstRow, int endRow)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width;
        int blockVectors = (operands.PaddedOut / lanes) % 3 == 0 ? 3 : 2;
        int blockChannels = blockVectors * lanes;
        int pixelsPerBlock = blockVectors == 3 ? 4 : 6;
        float* sums = stackalloc float[blockChannels * pixelsPerBlock];
        float** pixels = stackalloc float*[pixelsPerBlock];
        int outHeight = operands.Shape.OutHeight, outWidth = operands.Shape.OutWidth;
        for (int row = firstRow; row < endRow; row++)
        {
            int n = row / outHeight, outY = row - n * outHeight;
            for (int channel0 = 0; channel0 < operands.PaddedOut; channel0 += blockChannels)
            {
                for (int outX = 0; outX < outWidth; outX += pixelsPerBlock)
                {
                    if (blockVectors == 3)
                        Block3x4<TIsa, TVector>(operands, n, outY, outX, channel0, pixels, sums);
                    else
                        Block2x6<TIsa, TVector>(operands, n, outY, outX, channel0, pixels, sums);
                    StoreBlock(operands, n, outY, outX, channel0, blockChannels, pixelsPerBlock, sums);
                }
            }
        }
    }

    /// <summary>Points <paramref name="pixels"/> at the input channels each pixel of the block
    /// reads for tap column <paramref name="v"/>, or at zeros when that column lies outside.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PointPixels(in Operands operands, float* inputRow, int outX, int v, int count, float** pixels)
    {
        var shape = operands.Shape;
        int channels = shape.InChannels;
        int x = outX * shape.Stride + v * shape.Dilation - shape.Padding.Left;
        for (int p = 0; p < count; p++, x += shape.Stride)
            pixels[p] = (uint)x < (uint)shape.Width ? inputRow + (long)x * channels : operands.Zeros;
    }

    /// <summary>Whether every tap column of every pixel of the block lies inside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsInterior(in Operands operands, int outX, int count)
    {
        var shape = operands.Shape;
        int first = outX * shape.Stride - shape.Padding.Left;
        return first >= 0 && first + (count - 1) * shape.Stride + (shape.KernelWidth - 1) * shape.Dilation < shape.Width;
    }

    /// <summary>The input row tap row <paramref name="u"/> reads for output row <paramref name="outY"/>, or null when outside.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float* InputRow(in Operands operands, int n, int outY, int u)
    {
        var shape = operands.Shape;
        // 64-bit: Winograd tiles ask for rows up to five dilations past the output row, beyond int at large d.
        long y = (long)outY * shape.Stride + (long)u * shape.Dilation - shape.Padding.Top;
        return (ulong)y < (ulong)shape.Height ? operands.Input + ((long)n * shape.Height + y) * shape.Width * shape.InChannels : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block3x4<TIsa, TVector>(in Operands operands, int n, int outY, int outX, int channel0, float** pixels, float* sums)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width, channels = operands.Shape.InChannels, stride = operands.PaddedOut;
        long tapStep = (long)operands.Shape.Dilation * channels;
        TVector a00 = TIsa.Zero, a01 = TIsa.Zero, a02 = TIsa.Zero, a03 = TIsa.Zero;
        TVector a10 = TIsa.Zero, a11 = TIsa.Zero, a12 = TIsa.Zero, a13 = TIsa.Zero;
        TVector a20 = TIsa.Zero, a21 = TIsa.Zero, a22 = TIsa.Zero, a23 = TIsa.Zero;
        for (int u = 0; u < operands.Shape.KernelHeight; u++)
        {
            float* inputRow = InputRow(operands, n, outY, u);
            if (inputRow == null)
                continue;
            // Inside the image every tap column just shifts all pixels by d·C; only border blocks look up each pixel.
            bool interior = IsInterior(operands, outX, 4);
            PointPixels(operands, inputRow, outX, 0, 4, pixels);
            float* p0 = pixels[0], p1 = pixels[1], p2 = pixels[2], p3 = pixels[3];
            for (int v = 0; v < operands.Shape.KernelWidth; v++)
            {
                if (v > 0 && interior)
                {
                    p0 += tapStep; p1 += tapStep; p2 += tapStep; p3 += tapStep;
                }
                else if (v > 0)
                {
                    PointPixels(operands, inputRow, outX, v, 4, pixels);
                    p0 = pixels[0]; p1 = pixels[1]; p2 = pixels[2]; p3 = pixels[3];
                }
                float* w = operands.Packed + (long)(u * operands.Shape.KernelWidth + v) * channels * stride + channel0;
                Accumulate3x4<TIsa, TVector>(w, stride, p0, p1, p2, p3, channels, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
            }
        }
        Store3x4<TIsa, TVector>(sums, 3 * lanes, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2x6<TIsa, TVector>(in Operands operands, int n, int outY, int outX, int channel0, float** pixels, float* sums)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width, channels = operands.Shape.InChannels, stride = operands.PaddedOut;
        long tapStep = (long)operands.Shape.Dilation * channels;
        TVector a00 = TIsa.Zero, a01 = TIsa.Zero, a02 = TIsa.Zero, a03 = TIsa.Zero, a04 = TIsa.Zero, a05 = TIsa.Zero;
        TVector a10 = TIsa.Zero, a11 = TIsa.Zero, a12 = TIsa.Zero, a13 = TIsa.Zero, a14 = TIsa.Zero, a15 = TIsa.Zero;
        for (int u = 0; u < operands.Shape.KernelHeight; u++)
        {
            float* inputRow = InputRow(operands, n, outY, u);
            if (inputRow == null)
                continue;
            bool interior = IsInterior(operands, outX, 6);
            PointPixels(operands, inputRow, outX, 0, 6, pixels);
            float* p0 = pixels[0], p1 = pixels[1], p2 = pixels[2], p3 = pixels[3], p4 = pixels[4], p5 = pixels[5];
            for (int v = 0; v < operands.Shape.KernelWidth; v++)
            {
                if (v > 0 && interior)
                {
                    p0 += tapStep; p1 += tapStep; p2 += tapStep; p3 += tapStep; p4 += tapStep; p5 += tapStep;
                }
                else if (v > 0)
                {
                    PointPixels(operands, inputRow, outX, v, 6, pixels);
                    p0 = pixels[0]; p1 = pixels[1]; p2 = pixels[2]; p3 = pixels[3]; p4 = pixels[4]; p5 = pixels[5];
                }
                float* w = operands.Packed + (long)(u * operands.Shape.KernelWidth + v) * channels * stride + channel0;
                Accumulate2x6<TIsa, TVector>(w, stride, p0, p1, p2, p3, p4, p5, channels, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
            }
        }
        Store2x6<TIsa, TVector>(sums, 2 * lanes, a00, a01, a02, a03, a04, a05, a10, a11, a12, a13, a14, a15);
    }

    /// <summary>Adds Σ_c w[c]·p_i[c] over <paramref name="channels"/> to the 3-vector × 4-pixel block
    /// of accumulators; weight rows lie <paramref name="stride"/> floats apart. Four channels per trip
    /// (see <see cref="MicroKernelUnroll"/>). Inlined, so the accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Accumulate3x4<TIsa, TVector>(float* w, int stride, float* p0, float* p1, float* p2, float* p3, int channels,
        ref TVector a00, ref TVector a01, ref TVector a02, ref TVector a03, ref TVector a10, ref TVector a11, ref TVector a12, ref TVector a13,
        ref TVector a20, ref TVector a21, ref TVector a22, ref TVector a23)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int c = 0;
        for (; c + MicroKernelUnroll <= channels; c += MicroKernelUnroll, w += MicroKernelUnroll * stride)
        {
            Step3x4<TIsa, TVector>(w, p0 + c, p1 + c, p2 + c, p3 + c, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
            Step3x4<TIsa, TVector>(w + stride, p0 + c + 1, p1 + c + 1, p2 + c + 1, p3 + c + 1, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
            Step3x4<TIsa, TVector>(w + 2 * stride, p0 + c + 2, p1 + c + 2, p2 + c + 2, p3 + c + 2, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
            Step3x4<TIsa, TVector>(w + 3 * stride, p0 + c + 3, p1 + c + 3, p2 + c + 3, p3 + c + 3, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
        }
        for (; c < channels; c++, w += stride)
            Step3x4<TIsa, TVector>(w, p0 + c, p1 + c, p2 + c, p3 + c, ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
    }

    /// <summary>Stores the 3 × 4 block: pixel p's three vectors at <c>destination + p · pixelStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store3x4<TIsa, TVector>(float* destination, int pixelStride, TVector a00, TVector a01, TVector a02, TVector a03,
        TVector a10, TVector a11, TVector a12, TVector a13, TVector a20, TVector a21, TVector a22, TVector a23)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width;
        float* d0 = destination, d1 = d0 + pixelStride, d2 = d1 + pixelStride, d3 = d2 + pixelStride;
        TIsa.Store(d0, a00); TIsa.Store(d0 + lanes, a10); TIsa.Store(d0 + 2 * lanes, a20);
        TIsa.Store(d1, a01); TIsa.Store(d1 + lanes, a11); TIsa.Store(d1 + 2 * lanes, a21);
        TIsa.Store(d2, a02); TIsa.Store(d2 + lanes, a12); TIsa.Store(d2 + 2 * lanes, a22);
        TIsa.Store(d3, a03); TIsa.Store(d3 + lanes, a13); TIsa.Store(d3 + 2 * lanes, a23);
    }

    /// <summary>The 2-vector × 6-pixel counterpart of <see cref="Accumulate3x4{TIsa, TVector}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Accumulate2x6<TIsa, TVector>(float* w, int stride, float* p0, float* p1, float* p2, float* p3, float* p4, float* p5, int channels,
        ref TVector a00, ref TVector a01, ref TVector a02, ref TVector a03, ref TVector a04, ref TVector a05,
        ref TVector a10, ref TVector a11, ref TVector a12, ref TVector a13, ref TVector a14, ref TVector a15)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int c = 0;
        for (; c + MicroKernelUnroll <= channels; c += MicroKernelUnroll, w += MicroKernelUnroll * stride)
        {
            Step2x6<TIsa, TVector>(w, p0 + c, p1 + c, p2 + c, p3 + c, p4 + c, p5 + c, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
            Step2x6<TIsa, TVector>(w + stride, p0 + c + 1, p1 + c + 1, p2 + c + 1, p3 + c + 1, p4 + c + 1, p5 + c + 1, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
            Step2x6<TIsa, TVector>(w + 2 * stride, p0 + c + 2, p1 + c + 2, p2 + c + 2, p3 + c + 2, p4 + c + 2, p5 + c + 2, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
            Step2x6<TIsa, TVector>(w + 3 * stride, p0 + c + 3, p1 + c + 3, p2 + c + 3, p3 + c + 3, p4 + c + 3, p5 + c + 3, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        }
        for (; c < channels; c++, w += stride)
            Step2x6<TIsa, TVector>(w, p0 + c, p1 + c, p2 + c, p3 + c, p4 + c, p5 + c, ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
    }

    /// <summary>Stores the 2 × 6 block: pixel p's two vectors at <c>destination + p · pixelStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store2x6<TIsa, TVector>(float* destination, int pixelStride, TVector a00, TVector a01, TVector a02, TVector a03, TVector a04, TVector a05,
        TVector a10, TVector a11, TVector a12, TVector a13, TVector a14, TVector a15)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width;
        TIsa.Store(destination, a00); TIsa.Store(destination + lanes, a10); destination += pixelStride;
        TIsa.Store(destination, a01); TIsa.Store(destination + lanes, a11); destination += pixelStride;
        TIsa.Store(destination, a02); TIsa.Store(destination + lanes, a12); destination += pixelStride;
        TIsa.Store(destination, a03); TIsa.Store(destination + lanes, a13); destination += pixelStride;
        TIsa.Store(destination, a04); TIsa.Store(destination + lanes, a14); destination += pixelStride;
        TIsa.Store(destination, a05); TIsa.Store(destination + lanes, a15);
    }

    /// <summary>Input channels per trip of the micro-kernels' channel loop: the JIT does not unroll,
    /// and at 24 channels the loop's increments and branch cost about as much as a tenth of the FMAs.</summary>
    private const int MicroKernelUnroll = 4;

    /// <summary>One input channel of <see cref="Block3x4{TIsa, TVector}"/>: three weight vectors times
    /// the channel's value at each of four pixels. Inlined, so the accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step3x4<TIsa, TVector>(float* w, float* x0, float* x1, float* x2, float* x3,
        ref TVector a00, ref TVector a01, ref TVector a02, ref TVector a03, ref TVector a10, ref TVector a11, ref TVector a12, ref TVector a13,
        ref TVector a20, ref TVector a21, ref TVector a22, ref TVector a23)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector w0 = TIsa.Load(w), w1 = TIsa.Load(w + TIsa.Width), w2 = TIsa.Load(w + 2 * TIsa.Width);
        TVector b = TIsa.Broadcast(*x0);
        a00 = TIsa.MultiplyAdd(w0, b, a00); a10 = TIsa.MultiplyAdd(w1, b, a10); a20 = TIsa.MultiplyAdd(w2, b, a20);
        b = TIsa.Broadcast(*x1);
        a01 = TIsa.MultiplyAdd(w0, b, a01); a11 = TIsa.MultiplyAdd(w1, b, a11); a21 = TIsa.MultiplyAdd(w2, b, a21);
        b = TIsa.Broadcast(*x2);
        a02 = TIsa.MultiplyAdd(w0, b, a02); a12 = TIsa.MultiplyAdd(w1, b, a12); a22 = TIsa.MultiplyAdd(w2, b, a22);
        b = TIsa.Broadcast(*x3);
        a03 = TIsa.MultiplyAdd(w0, b, a03); a13 = TIsa.MultiplyAdd(w1, b, a13); a23 = TIsa.MultiplyAdd(w2, b, a23);
    }

    /// <summary>One input channel of <see cref="Block2x6{TIsa, TVector}"/>: two weight vectors times
    /// the channel's value at each of six pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step2x6<TIsa, TVector>(float* w, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5,
        ref TVector a00, ref TVector a01, ref TVector a02, ref TVector a03, ref TVector a04, ref TVector a05,
        ref TVector a10, ref TVector a11, ref TVector a12, ref TVector a13, ref TVector a14, ref TVector a15)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector w0 = TIsa.Load(w), w1 = TIsa.Load(w + TIsa.Width);
        TVector b = TIsa.Broadcast(*x0);
        a00 = TIsa.MultiplyAdd(w0, b, a00); a10 = TIsa.MultiplyAdd(w1, b, a10);
        b = TIsa.Broadcast(*x1);
        a01 = TIsa.MultiplyAdd(w0, b, a01); a11 = TIsa.MultiplyAdd(w1, b, a11);
        b = TIsa.Broadcast(*x2);
        a02 = TIsa.MultiplyAdd(w0, b, a02); a12 = TIsa.MultiplyAdd(w1, b, a12);
        b = TIsa.Broadcast(*x3);
        a03 = TIsa.MultiplyAdd(w0, b, a03); a13 = TIsa.MultiplyAdd(w1, b, a13);
        b = TIsa.Broadcast(*x4);
        a04 = TIsa.MultiplyAdd(w0, b, a04); a14 = TIsa.MultiplyAdd(w1, b, a14);
        b = TIsa.Broadcast(*x5);
        a05 = TIsa.MultiplyAdd(w0, b, a05); a15 = TIsa.MultiplyAdd(w1, b, a15);
    }

    /// <summary>Applies the epilogue to a finished block and stores the pixels and channels that
    /// exist. Vectorised: a scalar epilogue costs as much as a third of the FMAs of a 24-channel block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreBlock(in Operands operands, int n, int outY, int outX, int channel0, int blockChannels, int pixelsPerBlock, float* sums)
    {
        var shape = operands.Shape;
        int outChannels = shape.OutChannels;
        int pixelCount = Math.Min(pixelsPerBlock, shape.OutWidth - outX);
        int channelCount = Math.Min(blockChannels, outChannels - channel0);
        if (channelCount <= 0)
            return;
        long rowStart = (((long)n * shape.OutHeight + outY) * shape.OutWidth + outX) * outChannels + channel0;
        for (int p = 0; p < pixelCount; p++)
            StorePixel(operands, sums + p * blockChannels, rowStart + (long)p * outChannels, channel0, channelCount);
    }

    /// <summary>Applies the epilogue to the finished sums of channels [channel0, channel0 + count)
    /// of one pixel and stores them at element <paramref name="outputOffset"/> of the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StorePixel(in Operands operands, float* source, long outputOffset, int channel0, int count)
    {
        float* scale = operands.Scale + channel0, shift = operands.Shift + channel0;
        float* output = operands.Output + outputOffset;
        float* residual = operands.Residual == null ? null : operands.Residual + outputOffset;
        bool vectorActivation = operands.Activation is ActivationKind.Identity or ActivationKind.Relu or ActivationKind.LeakyRelu;
        int vectorEnd = Vector.IsHardwareAccelerated && vectorActivation ? count - count % Vector<float>.Count : 0;
        var slope = new Vector<float>(operands.Slope);
        int k = 0;
        for (; k < vectorEnd; k += Vector<float>.Count)
        {
            var value = Vector.FusedMultiplyAdd(Vector.Load(source + k), Vector.Load(scale + k), Vector.Load(shift + k));
            if (operands.Activation == ActivationKind.Relu)
                value = Vector.ConditionalSelect(Vector.LessThan(value, Vector<float>.Zero), Vector<float>.Zero, value);
            else if (operands.Activation == ActivationKind.LeakyRelu)
                value = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(value, Vector<float>.Zero), value, value * slope);
            if (residual != null)
                value += Vector.Load(residual + k);
            value.Store(output + k);
        }
        for (; k < count; k++)
        {
            float value = Activation.Apply(operands.Activation, operands.Slope, MathF.FusedMultiplyAdd(source[k], scale[k], shift[k]));
            output[k] = residual == null ? value : value + residual[k];
        }
    }
}
