using System.Runtime.CompilerServices;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The transforms of one Winograd algorithm F(m×m, 3×3) (Lavin and Gray, 2016): what
/// <see cref="Conv2dCpuWinograd"/> computes, kept apart from how it tiles and schedules the work.
/// A tile of m×m outputs is made from (m + 2)×(m + 2) inputs: U = G·g·Gᵀ per kernel, V = Bᵀ·d·B
/// per input tile, and the outputs Aᵀ·(U ⊙ V)·A summed over channels.</summary>
internal unsafe interface IWinogradTiles
{
    /// <summary>Outputs of a tile along each axis (m).</summary>
    static abstract int Outputs { get; }

    /// <summary>Inputs of a tile along each axis (m + 2); a transformed tile has its square of positions.</summary>
    static abstract int Inputs { get; }

    /// <summary>G·(g0, g1, g2)ᵀ, one column or row of a 3×3 kernel, into <see cref="Inputs"/> values.</summary>
    static abstract void TransformKernel(double g0, double g1, double g2, Span<double> result);

    /// <summary>Bᵀ·d·B of one vector of channels of a tile: input (i, j) at <c>pixels[i·Inputs + j] + offset</c>,
    /// position (i, j) stored at <c>v + (i·Inputs + j)·positionStride</c>; <paramref name="scratch"/>
    /// holds Inputs² vectors.</summary>
    static abstract void TransformInput<TIsa, TVector>(float** pixels, int offset, float* v, long positionStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct;

    /// <summary>Aᵀ·m·A of one vector of output channels: position (i, j) at <c>m + (i·Inputs + j)·positionStride</c>,
    /// output (r, c) stored at <c>outputs + (r·Outputs + c)·outputStride</c>; <paramref name="scratch"/>
    /// holds Inputs² vectors.</summary>
    static abstract void TransformOutput<TIsa, TVector>(float* m, long positionStride, float* outputs, int outputStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct;
}

/// <summary>F(2×2, 3×3): 16 multiplies per 4 outputs instead of 36; every transform entry is 0,
/// ±1 or ±½, so it rounds about as the direct convolution does.</summary>
internal unsafe struct WinogradF2x2 : IWinogradTiles
{
    public static int Outputs => 2;
    public static int Inputs => 4;

    public static void TransformKernel(double g0, double g1, double g2, Span<double> result)
    {
        result[0] = g0;
        result[1] = (g0 + g1 + g2) / 2;
        result[2] = (g0 - g1 + g2) / 2;
        result[3] = g2;
    }

    /// <remarks>All sixteen intermediate vectors stay in registers; the scratch is not needed.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformInput<TIsa, TVector>(float** pixels, int offset, float* v, long positionStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformOutput<TIsa, TVector>(float* m, long positionStride, float* outputs, int outputStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        OutputColumn<TIsa, TVector>(m, positionStride, 0, out var s00, out var s10);
        OutputColumn<TIsa, TVector>(m, positionStride, 1, out var s01, out var s11);
        OutputColumn<TIsa, TVector>(m, positionStride, 2, out var s02, out var s12);
        OutputColumn<TIsa, TVector>(m, positionStride, 3, out var s03, out var s13);
        TIsa.Store(outputs, TIsa.Add(TIsa.Add(s00, s01), s02));
        TIsa.Store(outputs + outputStride, TIsa.Subtract(TIsa.Subtract(s01, s02), s03));
        TIsa.Store(outputs + 2 * outputStride, TIsa.Add(TIsa.Add(s10, s11), s12));
        TIsa.Store(outputs + 3 * outputStride, TIsa.Subtract(TIsa.Subtract(s11, s12), s13));
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

/// <summary>F(4×4, 3×3) on the points 0, ±1, ±2, ∞: 36 multiplies per 16 outputs instead of 144,
/// at the price of entries up to 8 in the transforms, so results differ from the direct
/// convolution by about ten times as much as F(2×2, 3×3)'s (absolute errors ~1e-5 on outputs of order 1 at
/// 24 channels). Both passes of each transform go through the scratch: 36 vectors do not fit in registers.</summary>
internal unsafe struct WinogradF4x4 : IWinogradTiles
{
    public static int Outputs => 4;
    public static int Inputs => 6;

    public static void TransformKernel(double g0, double g1, double g2, Span<double> result)
    {
        result[0] = g0 / 4;
        result[1] = -(g0 + g1 + g2) / 6;
        result[2] = -(g0 - g1 + g2) / 6;
        result[3] = g0 / 24 + g1 / 12 + g2 / 6;
        result[4] = g0 / 24 - g1 / 12 + g2 / 6;
        result[5] = g2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformInput<TIsa, TVector>(float** pixels, int offset, float* v, long positionStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width;
        for (int j = 0; j < 6; j++)
        {
            InputTransform<TIsa, TVector>(TIsa.Load(pixels[j] + offset), TIsa.Load(pixels[6 + j] + offset), TIsa.Load(pixels[12 + j] + offset),
                TIsa.Load(pixels[18 + j] + offset), TIsa.Load(pixels[24 + j] + offset), TIsa.Load(pixels[30 + j] + offset), scratch + j * lanes, 6L * lanes);
        }
        for (int i = 0; i < 6; i++)
        {
            LoadSix<TIsa, TVector>(scratch + 6 * i * lanes, lanes, out var x0, out var x1, out var x2, out var x3, out var x4, out var x5);
            InputTransform<TIsa, TVector>(x0, x1, x2, x3, x4, x5, v + 6 * i * positionStride, positionStride);
        }
    }

    /// <summary>Bᵀ·x of six vectors, stored <paramref name="stride"/> floats apart:
    /// 4x0 − 5x2 + x4, (x4 − 4x2) ± (x3 − 4x1), (x4 − x2) ± 2(x3 − x1), 4x1 − 5x3 + x5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform<TIsa, TVector>(TVector x0, TVector x1, TVector x2, TVector x3, TVector x4, TVector x5, float* result, long stride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector four = TIsa.Broadcast(4f), minusFour = TIsa.Broadcast(-4f), minusFive = TIsa.Broadcast(-5f), two = TIsa.Broadcast(2f);
        TVector quad = TIsa.MultiplyAdd(minusFour, x2, x4), cross = TIsa.MultiplyAdd(minusFour, x1, x3);
        TVector even = TIsa.Subtract(x4, x2), odd = TIsa.Multiply(two, TIsa.Subtract(x3, x1));
        TIsa.Store(result, TIsa.MultiplyAdd(four, x0, TIsa.MultiplyAdd(minusFive, x2, x4)));
        TIsa.Store(result + stride, TIsa.Add(quad, cross));
        TIsa.Store(result + 2 * stride, TIsa.Subtract(quad, cross));
        TIsa.Store(result + 3 * stride, TIsa.Add(even, odd));
        TIsa.Store(result + 4 * stride, TIsa.Subtract(even, odd));
        TIsa.Store(result + 5 * stride, TIsa.MultiplyAdd(four, x1, TIsa.MultiplyAdd(minusFive, x3, x5)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformOutput<TIsa, TVector>(float* m, long positionStride, float* outputs, int outputStride, float* scratch)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int lanes = TIsa.Width;
        for (int k = 0; k < 6; k++)
        {
            LoadSix<TIsa, TVector>(m + k * positionStride, 6 * positionStride, out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
            OutputTransform<TIsa, TVector>(m0, m1, m2, m3, m4, m5, scratch + k * lanes, 6L * lanes);
        }
        for (int r = 0; r < 4; r++)
        {
            LoadSix<TIsa, TVector>(scratch + 6 * r * lanes, lanes, out var m0, out var m1, out var m2, out var m3, out var m4, out var m5);
            OutputTransform<TIsa, TVector>(m0, m1, m2, m3, m4, m5, outputs + 4 * r * outputStride, outputStride);
        }
    }

    /// <summary>Six vectors <paramref name="stride"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadSix<TIsa, TVector>(float* source, long stride, out TVector x0, out TVector x1, out TVector x2, out TVector x3, out TVector x4, out TVector x5)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        x0 = TIsa.Load(source);
        x1 = TIsa.Load(source + stride);
        x2 = TIsa.Load(source + 2 * stride);
        x3 = TIsa.Load(source + 3 * stride);
        x4 = TIsa.Load(source + 4 * stride);
        x5 = TIsa.Load(source + 5 * stride);
    }

    /// <summary>Aᵀ·m of six vectors into four, stored <paramref name="stride"/> floats apart:
    /// m0 + (m1 + m2) + (m3 + m4), (m1 − m2) + 2(m3 − m4), (m1 + m2) + 4(m3 + m4), (m1 − m2) + 8(m3 − m4) + m5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform<TIsa, TVector>(TVector m0, TVector m1, TVector m2, TVector m3, TVector m4, TVector m5, float* result, long stride)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector sum12 = TIsa.Add(m1, m2), difference12 = TIsa.Subtract(m1, m2);
        TVector sum34 = TIsa.Add(m3, m4), difference34 = TIsa.Subtract(m3, m4);
        TIsa.Store(result, TIsa.Add(TIsa.Add(m0, sum12), sum34));
        TIsa.Store(result + stride, TIsa.MultiplyAdd(TIsa.Broadcast(2f), difference34, difference12));
        TIsa.Store(result + 2 * stride, TIsa.MultiplyAdd(TIsa.Broadcast(4f), sum34, sum12));
        TIsa.Store(result + 3 * stride, TIsa.Add(TIsa.MultiplyAdd(TIsa.Broadcast(8f), difference34, difference12), m5));
    }
}
