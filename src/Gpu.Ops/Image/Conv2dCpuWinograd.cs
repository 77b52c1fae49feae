using System.Runtime.CompilerServices;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The Winograd CPU path of <see cref="Conv2d"/> for 3×3 kernels at stride 1. F(2×2, 3×3)
/// (Lavin and Gray, 2016) makes each 2×2 block of outputs from a 4×4 block of inputs with 16
/// multiplies per channel pair instead of 36: the input tiles are transformed (Bᵀ·d·B), multiplied
/// by weights transformed once per layer (G·g·Gᵀ) in 16 small GEMMs, one per position of the
/// transformed tile, and transformed back (Aᵀ·m·A). A dilated convolution is an undilated one on
/// each lattice of pixels d apart, so a tile's outputs and inputs simply lie d apart and every
/// dilation runs alike. NHWC, vectors over channels; the GEMMs use the direct path's register
/// blocks and the results its epilogue.</summary>
internal static unsafe class Conv2dCpuWinograd
{
    /// <summary>Positions of a transformed 4×4 tile.</summary>
    private const int Positions = 16;

    /// <summary>Bytes of transformed inputs and products one strip of tiles keeps, so both stay in L1
    /// while they are written, multiplied and read back (at 24 channels, 8 tiles; the weights, 37 KB,
    /// come from L2 once per strip). Against 192 KB strips in L2 this took 24.5 instead of 25.6 ms
    /// on one core and 12.5 instead of 15.1 on two (24 channels, 512², best of 16 alternating runs).</summary>
    private const int StripBytes = 24 * 1024;

    /// <summary>Fewest input and output channels at which <see cref="Conv2dPath.Auto"/> picks this path:
    /// with fewer, the transforms cost more than the multiplies they save (at 8 channels 10.5 against
    /// 6.6–9.4 ms for the direct path, at 16 even, at 24 1.4× and at 64 2× faster on one core).</summary>
    internal const int AutoMinChannels = 16;

    /// <summary>Whether the path computes this geometry: 3×3 kernels at stride 1, any dilation and padding.</summary>
    internal static bool Supports(Conv2dShape shape) => shape.KernelHeight == 3 && shape.KernelWidth == 3 && shape.Stride == 1;

    /// <summary>Transforms (O, C, 3, 3) weights to U = G·g·Gᵀ, stored [position][C][padded O] from the
    /// array's first 64-byte boundary, as <see cref="Conv2dCpuNhwc.Pack"/> stores its taps. Computed
    /// in double, so the halves in G add no rounding of their own.</summary>
    internal static float[] Pack(Conv2dShape shape, ReadOnlySpan<float> weights, int paddedOut)
    {
        int channels = shape.InChannels;
        long positionStride = (long)channels * paddedOut;
        var packed = GC.AllocateArray<float>((int)(Positions * positionStride) + Conv2dCpuNhwc.CacheLineFloats, pinned: true);
        float* start = Conv2dCpuNhwc.AlignedStart(packed);
        Span<double> rows = stackalloc double[12];
        for (int o = 0; o < shape.OutChannels; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var g = weights.Slice((o * channels + c) * 9, 9);
                for (int j = 0; j < 3; j++)
                {
                    double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                    rows[j] = g0;
                    rows[3 + j] = (g0 + g1 + g2) / 2;
                    rows[6 + j] = (g0 - g1 + g2) / 2;
                    rows[9 + j] = g2;
                }
                for (int i = 0; i < 4; i++)
                {
                    double r0 = rows[3 * i], r1 = rows[3 * i + 1], r2 = rows[3 * i + 2];
                    float* u = start + (4 * i * positionStride) + (long)c * paddedOut + o;
                    u[0] = (float)r0;
                    u[positionStride] = (float)((r0 + r1 + r2) / 2);
                    u[2 * positionStride] = (float)((r0 - r1 + r2) / 2);
                    u[3 * positionStride] = (float)r2;
                }
            }
        }
        return packed;
    }

    /// <summary>Tiles along an axis of <paramref name="length"/> outputs: a tile covers an origin and
    /// the output d further, so each run of 2d outputs holds d tiles.</summary>
    private static int TileCount(int length, int dilation) => length / (2 * dilation) * dilation + Math.Min(dilation, length % (2 * dilation));

    /// <summary>The first output of tile <paramref name="tile"/> along an axis.</summary>
    private static int TileOrigin(int tile, int dilation) => tile / dilation * 2 * dilation + tile % dilation;

    /// <summary>Runs the convolution over <paramref name="operands"/>, whose packed weights come from <see cref="Pack"/>.</summary>
    internal static void Run<TIsa, TVector>(Conv2dCpuNhwc.Operands operands)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        CpuRows.ForEachRowRange(shape.Batch * TileCount(shape.OutHeight, shape.Dilation), (first, end) => RunTileRows<TIsa, TVector>(operands, first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTileRows<TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int firstRow, int endRow)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, dilation = shape.Dilation, channels = shape.InChannels, paddedOut = operands.PaddedOut;
        int paddedIn = (channels + lanes - 1) / lanes * lanes;
        bool threeVectors = paddedOut / lanes % 3 == 0;
        int blockChannels = (threeVectors ? 3 : 2) * lanes, tilesPerBlock = threeVectors ? 4 : 6;
        int strip = Math.Max(tilesPerBlock, StripBytes / (Positions * sizeof(float) * (paddedIn + paddedOut)) / tilesPerBlock * tilesPerBlock);
        // Position-major: the register blocks of one position's GEMM read consecutive tiles.
        long vPosition = (long)strip * paddedIn, mPosition = (long)strip * paddedOut;
        int tileRows = TileCount(shape.OutHeight, dilation), tileColumns = TileCount(shape.OutWidth, dilation);
        float* transformed = ThreadScratch.PackedA(Positions * (vPosition + mPosition) + 4L * paddedOut + Positions * lanes);
        float* products = transformed + Positions * vPosition;
        float* outputs = products + Positions * mPosition;
        float* staged = outputs + 4L * paddedOut;
        float** pixels = stackalloc float*[Positions];
        float** stagedPixels = stackalloc float*[Positions];
        for (int k = 0; k < Positions; k++)
            stagedPixels[k] = staged + k * lanes;
        for (int row = firstRow; row < endRow; row++)
        {
            int n = row / tileRows, y0 = TileOrigin(row % tileRows, dilation);
            for (int t0 = 0; t0 < tileColumns; t0 += strip)
            {
                int count = Math.Min(strip, tileColumns - t0);
                int blocked = (count + tilesPerBlock - 1) / tilesPerBlock * tilesPerBlock;
                // Tiles past the last one fill the final register block with zeros and are never stored.
                for (int t = 0; t < blocked; t++)
                {
                    PointTile(operands, n, y0, TileOrigin(t0 + t, dilation), t < count, pixels);
                    TransformInputTile<TIsa, TVector>(pixels, stagedPixels, channels, transformed + (long)t * paddedIn, vPosition);
                }
                for (int position = 0; position < Positions; position++)
                {
                    float* u = operands.Packed + (long)position * channels * paddedOut;
                    float* v = transformed + position * vPosition;
                    float* m = products + position * mPosition;
                    for (int channel0 = 0; channel0 < paddedOut; channel0 += blockChannels)
                    {
                        for (int t = 0; t < blocked; t += tilesPerBlock)
                        {
                            if (threeVectors)
                                Product3x4<TIsa, TVector>(u + channel0, paddedOut, v + (long)t * paddedIn, paddedIn, channels, m + (long)t * paddedOut + channel0, paddedOut);
                            else
                                Product2x6<TIsa, TVector>(u + channel0, paddedOut, v + (long)t * paddedIn, paddedIn, channels, m + (long)t * paddedOut + channel0, paddedOut);
                        }
                    }
                }
                for (int t = 0; t < count; t++)
                    FinishTile<TIsa, TVector>(operands, n, y0, TileOrigin(t0 + t, dilation), products + (long)t * paddedOut, mPosition, outputs);
            }
        }
    }

    /// <summary>Points <paramref name="pixels"/> (row-major 4×4) at the input channels of each tap of
    /// the tile at output (y0, x0), or at zeros outside the image or for a tile that only pads a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PointTile(in Conv2dCpuNhwc.Operands operands, int n, int y0, int x0, bool exists, float** pixels)
    {
        var shape = operands.Shape;
        for (int i = 0; i < 4; i++)
        {
            float* row = exists ? Conv2dCpuNhwc.InputRow(operands, n, y0, i) : null;
            for (int j = 0; j < 4; j++)
            {
                int x = x0 + j * shape.Dilation - shape.Padding.Left;
                pixels[4 * i + j] = row != null && (uint)x < (uint)shape.Width ? row + (long)x * shape.InChannels : operands.Zeros;
            }
        }
    }

    /// <summary>Bᵀ·d·B of every channel of one tile into <c>v + position · positionStride</c>. The
    /// last channels short of a whole vector are first staged, zero-filled, so no load leaves the tensor.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransformInputTile<TIsa, TVector>(float** pixels, float** stagedPixels, int channels, float* v, long positionStride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width, c = 0;
        for (; c + lanes <= channels; c += lanes)
            TransformInput<TIsa, TVector>(pixels, c, v + c, positionStride);
        if (c == channels)
            return;
        for (int k = 0; k < Positions; k++)
            for (int lane = 0; lane < lanes; lane++)
                stagedPixels[k][lane] = c + lane < channels ? pixels[k][c + lane] : 0f;
        TransformInput<TIsa, TVector>(stagedPixels, 0, v + c, positionStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformInput<TIsa, TVector>(float** pixels, int offset, float* v, long positionStride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        // Bᵀ over the rows of each column, then over the columns of each row.
        InputColumn<TIsa, TVector>(pixels, offset, 0, out var t00, out var t10, out var t20, out var t30);
        InputColumn<TIsa, TVector>(pixels, offset, 1, out var t01, out var t11, out var t21, out var t31);
        InputColumn<TIsa, TVector>(pixels, offset, 2, out var t02, out var t12, out var t22, out var t32);
        InputColumn<TIsa, TVector>(pixels, offset, 3, out var t03, out var t13, out var t23, out var t33);
        InputRowStore<TIsa, TVector>(v, positionStride, t00, t01, t02, t03);
        InputRowStore<TIsa, TVector>(v + 4 * positionStride, positionStride, t10, t11, t12, t13);
        InputRowStore<TIsa, TVector>(v + 8 * positionStride, positionStride, t20, t21, t22, t23);
        InputRowStore<TIsa, TVector>(v + 12 * positionStride, positionStride, t30, t31, t32, t33);
    }

    /// <summary>Bᵀ applied down column <paramref name="j"/>: d0 − d2, d1 + d2, d2 − d1, d1 − d3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputColumn<TIsa, TVector>(float** pixels, int offset, int j, out TVector r0, out TVector r1, out TVector r2, out TVector r3)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector d0 = TIsa.Load(pixels[j] + offset), d1 = TIsa.Load(pixels[4 + j] + offset);
        TVector d2 = TIsa.Load(pixels[8 + j] + offset), d3 = TIsa.Load(pixels[12 + j] + offset);
        r0 = TIsa.Subtract(d0, d2);
        r1 = TIsa.Add(d1, d2);
        r2 = TIsa.Subtract(d2, d1);
        r3 = TIsa.Subtract(d1, d3);
    }

    /// <summary>Bᵀ applied along a row, stored at four consecutive positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRowStore<TIsa, TVector>(float* v, long positionStride, TVector t0, TVector t1, TVector t2, TVector t3)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TIsa.Store(v, TIsa.Subtract(t0, t2));
        TIsa.Store(v + positionStride, TIsa.Add(t1, t2));
        TIsa.Store(v + 2 * positionStride, TIsa.Subtract(t2, t1));
        TIsa.Store(v + 3 * positionStride, TIsa.Subtract(t1, t3));
    }

    /// <summary>Four tiles × three vectors of output channels of one position's GEMM.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Product3x4<TIsa, TVector>(float* u, int uStride, float* v, int vStride, int channels, float* m, int mStride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector a00 = TIsa.Zero, a01 = TIsa.Zero, a02 = TIsa.Zero, a03 = TIsa.Zero;
        TVector a10 = TIsa.Zero, a11 = TIsa.Zero, a12 = TIsa.Zero, a13 = TIsa.Zero;
        TVector a20 = TIsa.Zero, a21 = TIsa.Zero, a22 = TIsa.Zero, a23 = TIsa.Zero;
        Conv2dCpuNhwc.Accumulate3x4<TIsa, TVector>(u, uStride, v, v + vStride, v + 2 * vStride, v + 3 * vStride, channels,
            ref a00, ref a01, ref a02, ref a03, ref a10, ref a11, ref a12, ref a13, ref a20, ref a21, ref a22, ref a23);
        Conv2dCpuNhwc.Store3x4<TIsa, TVector>(m, mStride, a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23);
    }

    /// <summary>Six tiles × two vectors of output channels of one position's GEMM.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Product2x6<TIsa, TVector>(float* u, int uStride, float* v, int vStride, int channels, float* m, int mStride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector a00 = TIsa.Zero, a01 = TIsa.Zero, a02 = TIsa.Zero, a03 = TIsa.Zero, a04 = TIsa.Zero, a05 = TIsa.Zero;
        TVector a10 = TIsa.Zero, a11 = TIsa.Zero, a12 = TIsa.Zero, a13 = TIsa.Zero, a14 = TIsa.Zero, a15 = TIsa.Zero;
        Conv2dCpuNhwc.Accumulate2x6<TIsa, TVector>(u, uStride, v, v + vStride, v + 2 * vStride, v + 3 * vStride, v + 4 * vStride, v + 5 * vStride, channels,
            ref a00, ref a01, ref a02, ref a03, ref a04, ref a05, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        Conv2dCpuNhwc.Store2x6<TIsa, TVector>(m, mStride, a00, a01, a02, a03, a04, a05, a10, a11, a12, a13, a14, a15);
    }

    /// <summary>Aᵀ·m·A of every output channel of one tile, then the epilogue into the outputs that
    /// exist (a tile at the last row or column of a lattice may cover only one).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FinishTile<TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int n, int y0, int x0, float* m, long positionStride, float* outputs)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, paddedOut = operands.PaddedOut;
        for (int j = 0; j < paddedOut; j += lanes)
        {
            float* column = m + j;
            OutputColumn<TIsa, TVector>(column, positionStride, 0, out var s00, out var s10);
            OutputColumn<TIsa, TVector>(column, positionStride, 1, out var s01, out var s11);
            OutputColumn<TIsa, TVector>(column, positionStride, 2, out var s02, out var s12);
            OutputColumn<TIsa, TVector>(column, positionStride, 3, out var s03, out var s13);
            TIsa.Store(outputs + j, TIsa.Add(TIsa.Add(s00, s01), s02));
            TIsa.Store(outputs + paddedOut + j, TIsa.Subtract(TIsa.Subtract(s01, s02), s03));
            TIsa.Store(outputs + 2 * paddedOut + j, TIsa.Add(TIsa.Add(s10, s11), s12));
            TIsa.Store(outputs + 3 * paddedOut + j, TIsa.Subtract(TIsa.Subtract(s11, s12), s13));
        }
        for (int p = 0; p < 4; p++)
        {
            int y = y0 + (p >> 1) * shape.Dilation, x = x0 + (p & 1) * shape.Dilation;
            if (y < shape.OutHeight && x < shape.OutWidth)
                Conv2dCpuNhwc.StorePixel(operands, outputs + p * paddedOut, (((long)n * shape.OutHeight + y) * shape.OutWidth + x) * shape.OutChannels, 0, shape.OutChannels);
        }
    }

    /// <summary>Aᵀ applied down column <paramref name="k"/> of the products: m0 + m1 + m2, m1 − m2 − m3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputColumn<TIsa, TVector>(float* m, long positionStride, int k, out TVector r0, out TVector r1)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector m0 = TIsa.Load(m + k * positionStride), m1 = TIsa.Load(m + (4 + k) * positionStride);
        TVector m2 = TIsa.Load(m + (8 + k) * positionStride), m3 = TIsa.Load(m + (12 + k) * positionStride);
        r0 = TIsa.Add(TIsa.Add(m0, m1), m2);
        r1 = TIsa.Subtract(TIsa.Subtract(m1, m2), m3);
    }
}
