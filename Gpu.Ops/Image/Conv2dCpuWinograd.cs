using System.Numerics;
using System.Runtime.CompilerServices;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The Winograd CPU path of <see cref="Conv2d"/> for 3×3 kernels at stride 1, over the
/// transforms of an <see cref="IWinogradTiles"/> algorithm: input tiles are transformed, multiplied
/// by weights transformed once per layer in one small GEMM per position of the transformed tile,
/// and transformed back. A dilated convolution is an undilated one on each lattice of pixels d
/// apart, so a tile's outputs and inputs simply lie d apart and every dilation runs alike. NHWC,
/// vectors over channels; the GEMMs use the direct path's register blocks and the results its epilogue.
/// The transforms spread a non-finite input over its whole tile; tiles whose sums come out
/// non-finite are summed again directly (<see cref="SumDirectly"/>), so NaN and ±∞ match the direct paths.</summary>
internal static unsafe class Conv2dCpuWinograd
{
    /// <summary>Bytes of transformed inputs and products one strip of tiles keeps, so both stay in L1
    /// while they are written, multiplied and read back (with F(2×2, 3×3) at 24 channels, 8 tiles; the
    /// weights, 37 KB, come from L2 once per strip). It was faster than 192 KB strips in L2 on one core
    /// and on two (`bench conv`, 24 channels, 512², alternating runs).</summary>
    private const int StripBytes = 24 * 1024;

    /// <summary>Fewest input and output channels at which <see cref="Conv2dPath.Auto"/> picks F(4×4, 3×3).
    /// In alternating `bench conv` runs (512², d1, two cores) F(4×4) beat direct and F(2×2) at 8, 24 and
    /// 64 channels; fewer channels were not measured, and there the transforms weigh more against the
    /// multiplies they save.</summary>
    internal const int AutoMinChannels = 8;

    /// <summary>Tiles below which Auto keeps a layer with large transformed weights on the direct path.</summary>
    internal const int AutoMinTiles = 64;

    /// <summary>Bytes of F(4×4) transformed weights above which they no longer stay in a server's
    /// last-level cache share between calls.</summary>
    internal const long AutoCachedWeightBytes = 24L << 20;

    /// <summary>Whether F(4×4) pays on this layer: its transformed weights are 4× the direct path's,
    /// and each is used once per 4×4 tile, so on a small map (CRNN's 4-row 512→512 layer has 7 tiles)
    /// with weights too large to stay cached, reading them costs more than the multiplies it saves.</summary>
    internal static bool PaysOff(Conv2dShape shape)
    {
        long tiles = (long)shape.Batch * ((shape.OutHeight + 3) / 4) * ((shape.OutWidth + 3) / 4);
        long transformedBytes = 36L * shape.InChannels * shape.OutChannels * sizeof(float);
        return tiles >= AutoMinTiles || transformedBytes <= AutoCachedWeightBytes;
    }

    /// <summary>Whether the path computes this geometry: 3×3 kernels at stride 1, any dilation and padding.</summary>
    internal static bool Supports(Conv2dShape shape) => shape.KernelHeight == 3 && shape.KernelWidth == 3 && shape.Stride == 1;

    /// <summary>Transforms (O, C, 3, 3) weights to U = G·g·Gᵀ, stored [position][C][padded O] from the
    /// array's first 64-byte boundary, as <see cref="Conv2dCpuNhwc.Pack"/> stores its taps. Computed
    /// in double, so the fractions in G add no rounding of their own.</summary>
    internal static float[] Pack<TTiles>(Conv2dShape shape, ReadOnlySpan<float> weights, int paddedOut) where TTiles : struct, IWinogradTiles
    {
        int channels = shape.InChannels, inputs = TTiles.Inputs;
        long positionStride = (long)channels * paddedOut;
        var packed = Conv2dCpuNhwc.AllocatePacked(inputs * inputs * positionStride, out float* start);
        Span<double> columns = stackalloc double[3 * inputs], row = stackalloc double[inputs];
        for (int o = 0; o < shape.OutChannels; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var g = weights.Slice((o * channels + c) * 9, 9);
                // G·g column by column (columns[j·inputs + i] = (G·g)[i, j]), then each row of that times Gᵀ.
                for (int j = 0; j < 3; j++)
                    TTiles.TransformKernel(g[j], g[3 + j], g[6 + j], columns.Slice(j * inputs, inputs));
                for (int i = 0; i < inputs; i++)
                {
                    TTiles.TransformKernel(columns[i], columns[inputs + i], columns[2 * inputs + i], row);
                    float* u = start + i * inputs * positionStride + (long)c * paddedOut + o;
                    for (int k = 0; k < inputs; k++)
                        u[k * positionStride] = (float)row[k];
                }
            }
        }
        return packed;
    }

    /// <summary>Tiles along an axis of <paramref name="length"/> outputs: a tile covers m outputs d
    /// apart, so each run of m·d outputs holds d tiles. In 64 bits, as everything here that multiplies
    /// the dilation: m·d passes int.MaxValue for the dilations <see cref="Conv2dShape.Validate"/> accepts.</summary>
    private static int TileCount(int length, int dilation, int outputs)
    {
        long run = (long)outputs * dilation;
        return (int)(length / run * dilation + Math.Min(dilation, length % run));
    }

    /// <summary>The first output of tile <paramref name="tile"/> along an axis (below the axis' length, so an int).</summary>
    private static int TileOrigin(int tile, int dilation, int outputs) => (int)((long)(tile / dilation) * outputs * dilation + tile % dilation);

    /// <summary>Runs the convolution over <paramref name="operands"/>, whose packed weights come from <see cref="Pack{TTiles}"/>.</summary>
    internal static void Run<TTiles, TIsa, TVector>(Conv2dCpuNhwc.Operands operands)
        where TTiles : struct, IWinogradTiles where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        CpuRows.ForEachRowRange(shape.Batch * TileCount(shape.OutHeight, shape.Dilation, TTiles.Outputs),
            (first, end) => RunTileRows<TTiles, TIsa, TVector>(operands, first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTileRows<TTiles, TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int firstRow, int endRow)
        where TTiles : struct, IWinogradTiles where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, dilation = shape.Dilation, channels = shape.InChannels, paddedOut = operands.PaddedOut;
        int outputs = TTiles.Outputs, positions = TTiles.Inputs * TTiles.Inputs;
        int paddedIn = (channels + lanes - 1) / lanes * lanes;
        bool threeVectors = paddedOut / lanes % 3 == 0;
        int blockChannels = (threeVectors ? 3 : 2) * lanes, tilesPerBlock = threeVectors ? 4 : 6;
        int strip = Math.Max(tilesPerBlock, StripBytes / (positions * sizeof(float) * (paddedIn + paddedOut)) / tilesPerBlock * tilesPerBlock);
        // Position-major: the register blocks of one position's GEMM read consecutive tiles.
        long vPosition = (long)strip * paddedIn, mPosition = (long)strip * paddedOut;
        int tileRows = TileCount(shape.OutHeight, dilation, outputs), tileColumns = TileCount(shape.OutWidth, dilation, outputs);
        float* transformed = ThreadScratch.PackedA(positions * (vPosition + mPosition) + (long)outputs * outputs * paddedOut + 2L * positions * lanes);
        float* products = transformed + positions * vPosition;
        float* results = products + positions * mPosition;
        float* staged = results + (long)outputs * outputs * paddedOut;
        float* scratch = staged + (long)positions * lanes;
        float** pixels = stackalloc float*[positions];
        float** stagedPixels = stackalloc float*[positions];
        for (int k = 0; k < positions; k++)
            stagedPixels[k] = staged + k * lanes;
        for (int row = firstRow; row < endRow; row++)
        {
            int n = row / tileRows, y0 = TileOrigin(row % tileRows, dilation, outputs);
            for (int t0 = 0; t0 < tileColumns; t0 += strip)
            {
                int count = Math.Min(strip, tileColumns - t0);
                int blocked = (count + tilesPerBlock - 1) / tilesPerBlock * tilesPerBlock;
                // Tiles past the last one fill the final register block with zeros and are never stored.
                for (int t = 0; t < blocked; t++)
                {
                    PointTile<TTiles>(operands, n, y0, TileOrigin(t0 + t, dilation, outputs), t < count, pixels);
                    TransformInputTile<TTiles, TIsa, TVector>(pixels, stagedPixels, channels, transformed + (long)t * paddedIn, vPosition, scratch);
                }
                for (int position = 0; position < positions; position++)
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
                    FinishTile<TTiles, TIsa, TVector>(operands, n, y0, TileOrigin(t0 + t, dilation, outputs), products + (long)t * paddedOut, mPosition, results, scratch);
            }
        }
    }

    /// <summary>Points <paramref name="pixels"/> (row-major, Inputs × Inputs) at the input channels of
    /// each tap of the tile at output (y0, x0), or at zeros outside the image or for a tile that only
    /// pads a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PointTile<TTiles>(in Conv2dCpuNhwc.Operands operands, int n, int y0, int x0, bool exists, float** pixels)
        where TTiles : struct, IWinogradTiles
    {
        var shape = operands.Shape;
        int inputs = TTiles.Inputs;
        for (int i = 0; i < inputs; i++)
        {
            float* row = exists ? Conv2dCpuNhwc.InputRow(operands, n, y0, i) : null;
            for (int j = 0; j < inputs; j++)
            {
                long x = x0 + (long)j * shape.Dilation - shape.Padding.Left;
                pixels[i * inputs + j] = row != null && (ulong)x < (ulong)shape.Width ? row + x * shape.InChannels : operands.Zeros;
            }
        }
    }

    /// <summary>Bᵀ·d·B of every channel of one tile into <c>v + position · positionStride</c>. The
    /// last channels short of a whole vector are first staged, zero-filled, so no load leaves the tensor.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TransformInputTile<TTiles, TIsa, TVector>(float** pixels, float** stagedPixels, int channels, float* v, long positionStride, float* scratch)
        where TTiles : struct, IWinogradTiles where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width, c = 0, positions = TTiles.Inputs * TTiles.Inputs;
        for (; c + lanes <= channels; c += lanes)
            TTiles.TransformInput<TIsa, TVector>(pixels, c, v + c, positionStride, scratch);
        if (c == channels)
            return;
        for (int k = 0; k < positions; k++)
            for (int lane = 0; lane < lanes; lane++)
                stagedPixels[k][lane] = c + lane < channels ? pixels[k][c + lane] : 0f;
        TTiles.TransformInput<TIsa, TVector>(stagedPixels, 0, v + c, positionStride, scratch);
    }

    /// <summary>Aᵀ·m·A of every output channel of one tile into <paramref name="results"/>, then the
    /// epilogue into the outputs that exist (a tile at the end of a lattice may cover fewer).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FinishTile<TTiles, TIsa, TVector>(in Conv2dCpuNhwc.Operands operands, int n, int y0, int x0, float* m, long positionStride, float* results, float* scratch)
        where TTiles : struct, IWinogradTiles where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int lanes = TIsa.Width, paddedOut = operands.PaddedOut, outputs = TTiles.Outputs;
        for (int j = 0; j < paddedOut; j += lanes)
            TTiles.TransformOutput<TIsa, TVector>(m + j, positionStride, results + j, paddedOut, scratch);
        if (!AllFinite(results, outputs * outputs * paddedOut))
            SumDirectly(operands, n, y0, x0, outputs, results);
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        for (int p = 0; p < outputs * outputs; p++)
        {
            long y = y0 + (long)(p / outputs) * shape.Dilation, x = x0 + (long)(p % outputs) * shape.Dilation;
            if (y < outHeight && x < outWidth)
                Conv2dCpuNhwc.StorePixel(operands, results + p * paddedOut, (((long)n * outHeight + y) * outWidth + x) * shape.OutChannels, 0, shape.OutChannels);
        }
    }

    /// <summary>Whether every value is finite: one multiply by zero per value, which turns ±∞ and NaN
    /// into NaN and everything else into 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllFinite(float* values, int count)
    {
        var poisoned = Vector<float>.Zero;
        int i = 0;
        for (; i + Vector<float>.Count <= count; i += Vector<float>.Count)
            poisoned += Vector.Load(values + i) * Vector<float>.Zero;
        float rest = 0f;
        for (; i < count; i++)
            rest += values[i] * 0f;
        return poisoned == Vector<float>.Zero && rest == 0f;
    }

    /// <summary>The sums of one tile's outputs tap by tap, as the direct path forms them, into
    /// <paramref name="results"/> ([pixel][padded O]). Winograd's transforms mix every input of a
    /// tile into every output, and the exact cancellation that keeps an input out of the outputs
    /// whose receptive field misses it fails for ±∞ and NaN (∞ − ∞), so a non-finite input makes
    /// NaN of the whole tile; a tile whose sums are not all finite is summed again this way, and
    /// NaN and ±∞ land only where the direct convolution (and PyTorch) puts them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SumDirectly(in Conv2dCpuNhwc.Operands operands, int n, int y0, int x0, int outputs, float* results)
    {
        var shape = operands.Shape;
        int channels = shape.InChannels, outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        for (int p = 0; p < outputs * outputs; p++)
        {
            long y = y0 + (long)(p / outputs) * shape.Dilation, x = x0 + (long)(p % outputs) * shape.Dilation;
            if (y >= outHeight || x >= outWidth)
                continue;
            float* sums = results + p * operands.PaddedOut;
            new Span<float>(sums, shape.OutChannels).Clear();
            for (int u = 0; u < 3; u++)
            {
                float* row = Conv2dCpuNhwc.InputRow(operands, n, (int)y, u);
                for (int v = 0; v < 3 && row != null; v++)
                {
                    long inX = x + (long)v * shape.Dilation - shape.Padding.Left;
                    if ((ulong)inX >= (ulong)shape.Width)
                        continue;
                    float* pixel = row + inX * channels;
                    for (int o = 0; o < shape.OutChannels; o++)
                    {
                        float* tap = operands.Weights + ((long)o * channels * 3 + u) * 3 + v;
                        float sum = 0f;
                        for (int c = 0; c < channels; c++)
                            sum += tap[c * 9] * pixel[c];
                        sums[o] += sum;
                    }
                }
            }
        }
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
}
