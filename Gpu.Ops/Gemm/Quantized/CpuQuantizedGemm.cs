using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>How the CPU computes the int8 dot products.</summary>
internal enum QuantizedDotPath
{
    /// <summary>VNNI when the processor has it, else widening.</summary>
    Auto,
    /// <summary>Sign/zero-extend both operands to int16 and multiply-add pairs into int32
    /// (vpmovsxbw/vpmovzxbw + vpmaddwd). Exact: |127·255·2| fits int16×int16→int32 with room,
    /// unlike vpmaddubsw, whose int16 pair sums saturate for uint8 × int8.</summary>
    Widening,
    /// <summary>vpmaddubsw on activations that all fit in 7 bits (0–127), as PyTorch's dynamic
    /// quantization produces with reduce_range: pairs of uint7 × int8 products sum to at most
    /// 2·127·127 = 32258, so the int16 result cannot saturate and the sums stay exact; then
    /// vpmaddwd by ones into int32. Half the instructions of widening per product.</summary>
    Narrow,
    /// <summary>AVX-VNNI vpdpbusd: uint8 × int8, four products summed straight into int32, no
    /// saturation. uint8 activations only. (.NET exposes no AVX-512 VNNI class, so 256 bits.)</summary>
    Vnni,
}

/// <summary>CPU path of the quantized products: exact int32 dot products of contiguous int8
/// weight rows with contiguous activation columns, four columns per pass over a weight row.</summary>
internal static unsafe class CpuQuantizedGemm
{
    /// <summary>Forces a path (tests cover the widening path on VNNI machines and vice versa).</summary>
    internal static QuantizedDotPath ForcedPath { get; set; }

    /// <summary>The path the next product uses for these activations, or null when none runs here.</summary>
    /// <param name="signedActivations">Whether the activations are int8.</param>
    /// <param name="sevenBitActivations">Whether every (uint8) activation is at most 127.</param>
    internal static QuantizedDotPath? ActivePath(bool signedActivations, bool sevenBitActivations = false)
    {
        bool vnni = AvxVnni.IsSupported && !signedActivations;
        bool narrow = Avx2.IsSupported && !signedActivations && sevenBitActivations;
        return ForcedPath switch
        {
            QuantizedDotPath.Vnni => vnni ? QuantizedDotPath.Vnni : null,
            QuantizedDotPath.Narrow => narrow ? QuantizedDotPath.Narrow : null,
            QuantizedDotPath.Widening => Avx2.IsSupported ? QuantizedDotPath.Widening : null,
            _ => vnni ? QuantizedDotPath.Vnni : narrow ? QuantizedDotPath.Narrow : Avx2.IsSupported ? QuantizedDotPath.Widening : null,
        };
    }

    /// <summary>Computes every int32 accumulator of (<paramref name="m"/> × <paramref name="n"/>) and
    /// hands each finished row to <paramref name="finish"/> (row, its n accumulators).
    /// <paramref name="sevenBitActivations"/> says the caller knows every (uint8) activation is at
    /// most 127, as its own quantizer made them; otherwise the activations are scanned for it.</summary>
    /// <returns>False when no CPU path runs here.</returns>
    public static bool TryRun(Accelerator accelerator, QuantizedOperands operands, int m, int n, bool sevenBitActivations, FinishRow finish)
    {
        if (!accelerator.IsHostAddressable())
            return false;
        bool signedActivations = operands.SignedActivations != 0;
        // One pass over the activations (N×K bytes, small next to the M×K weights) decides whether
        // the exact narrow path applies, unless the caller already knows.
        bool sevenBit = !signedActivations && Avx2.IsSupported
            && (sevenBitActivations || new ReadOnlySpan<byte>(CpuRows.Pointer(operands.Activations), n * operands.K).IndexOfAnyInRange((byte)128, (byte)255) < 0);
        var path = ActivePath(signedActivations, sevenBit);
        if (path is null)
            return false;
        CpuRows.ForEachRowRange(m, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            sbyte* weights = CpuRows.Pointer(operands.Weights);
            byte* activations = CpuRows.Pointer(operands.Activations);
            int* rowSums = CpuRows.Pointer(operands.RowSums);
            int k = operands.K, rows = end - first;
            // One row more than the range: an odd last row of a pair parks its duplicate there.
            int* sums = (int*)ThreadScratch.Row((rows + 1L) * n);
            new Span<int>(sums, (rows + 1) * n).Clear();
            int kBlock = KBlock(n, k);
            for (int k0 = 0; k0 < k; k0 += kBlock)
                AccumulateBlock(path.Value, signedActivations, weights + (long)first * k + k0, activations + k0, k, Math.Min(kBlock, k - k0), rows, n, sums);
            for (int row = first; row < end; row++)
            {
                int* rowAccumulators = sums + (long)(row - first) * n;
                int correction = operands.ZeroPoint * rowSums[row];
                for (int j = 0; j < n; j++)
                    rowAccumulators[j] -= correction;
                finish(row, rowAccumulators);
            }
        });
        return true;
    }

    /// <summary>Columns of X one task of <see cref="QuantizeTransposed"/> quantizes: one vector of 8.</summary>
    private const int QuantizeColumnBlock = 8;

    /// <summary>Quantizes float activations X (K×N, row-major) to uint8 exactly as
    /// <see cref="ActivationQuantizer.Quantize"/> does (the device path's packing kernel), transposed
    /// to N×K so each column is contiguous for the integer dot products. Eight columns per vector:
    /// one value at a time, this step was a sizeable share of a wide layer's call.</summary>
    public static void QuantizeTransposed(ArrayView<float> x, ArrayView<byte> quantized, int n, int k, ActivationQuantizer quantizer)
    {
        float* source = CpuRows.Pointer(x);
        byte* destination = CpuRows.Pointer(quantized);
        CpuRows.ForEachRowRange((n + QuantizeColumnBlock - 1) / QuantizeColumnBlock, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            var inverseScale = Vector256.Create(quantizer.InverseScale);
            var zeroPoint = Vector256.Create((float)quantizer.ZeroPoint);
            var highest = Vector256.Create(quantizer.Highest);
            int* values = stackalloc int[QuantizeColumnBlock];
            for (int block = first; block < end; block++)
            {
                int firstColumn = block * QuantizeColumnBlock, endColumn = Math.Min(n, firstColumn + QuantizeColumnBlock);
                bool whole = endColumn - firstColumn == QuantizeColumnBlock && Avx.IsSupported;
                for (int step = 0; step < k; step++)
                {
                    float* row = source + (long)step * n;
                    if (whole)
                    {
                        // Quantize's steps lane by lane: round half to even, add the zero point, clamp (a NaN
                        // lane to 0, as maxps returns its second operand), then the now integral value.
                        var scaled = Avx.RoundToNearestInteger(Avx.Multiply(Avx.LoadVector256(row + firstColumn), inverseScale)) + zeroPoint;
                        Avx.Store(values, Avx.ConvertToVector256Int32WithTruncation(Avx.Min(Avx.Max(scaled, Vector256<float>.Zero), highest)));
                        for (int lane = 0; lane < QuantizeColumnBlock; lane++)
                            destination[(long)(firstColumn + lane) * k + step] = (byte)values[lane];
                    }
                    else
                    {
                        for (int column = firstColumn; column < endColumn; column++)
                            destination[(long)column * k + step] = ActivationQuantizer.Quantize(quantizer, row[column]);
                    }
                }
            }
        });
    }

    /// <summary>Bytes of activations one K block keeps in L2 while every weight row of a range
    /// passes over them. Whole rows of K did not fit at large batches (512 KB at 128 columns of
    /// 4096), so each weight row pair streamed them from L3, and a 4096² layer ran at ~115 GMAC/s
    /// where the inner loop reaches ~95 per core from L1.</summary>
    private const int ActivationBlockBytes = 192 * 1024;

    /// <summary>Steps of K per block: as many as keep <paramref name="n"/> activation columns
    /// within <see cref="ActivationBlockBytes"/>, a multiple of 64 (whole vectors of every path).</summary>
    private static int KBlock(int n, int k) => Math.Min(k, Math.Max(64, ActivationBlockBytes / n / 64 * 64));

    /// <summary>Adds the dot products of <paramref name="length"/> steps of every weight row of a
    /// range (rows <paramref name="k"/> apart from <paramref name="weights"/>) with every activation
    /// column (also <paramref name="k"/> apart) into the range's accumulators, row-major n wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateBlock(QuantizedDotPath path, bool signedActivations, sbyte* weights, byte* activations, int k, int length, int rows, int n, int* sums)
    {
        int row = 0;
        if (path == QuantizedDotPath.Narrow)
        {
            for (; row < rows; row += 4)
            {
                // Rows past the range repeat the last one and drop their sums in the spare row.
                sbyte* w0 = weights + (long)row * k;
                sbyte* w1 = weights + (long)Math.Min(row + 1, rows - 1) * k, w2 = weights + (long)Math.Min(row + 2, rows - 1) * k, w3 = weights + (long)Math.Min(row + 3, rows - 1) * k;
                int* spare = sums + (long)rows * n;
                int* s0 = sums + (long)row * n, s1 = row + 1 < rows ? s0 + n : spare, s2 = row + 2 < rows ? s0 + 2 * n : spare, s3 = row + 3 < rows ? s0 + 3 * n : spare;
                int j = 0;
                for (; j + 2 <= n; j += 2)
                {
                    byte* x = activations + (long)j * k;
                    DotNarrow4x2(w0, w1, w2, w3, x, x + k, length, s0 + j, s1 + j, s2 + j, s3 + j);
                }
                // Batch 1 and an odd last column: one column at a time.
                for (; j < n; j++)
                {
                    DotNarrow2x1(w0, w1, activations + (long)j * k, length, s0 + j, s1 + j);
                    DotNarrow2x1(w2, w3, activations + (long)j * k, length, s2 + j, s3 + j);
                }
            }
            return;
        }
        bool vnni = path == QuantizedDotPath.Vnni;
        // Two weight rows per pass on the widening path: each widened activation vector feeds
        // both, halving the activation traffic that dominates at large batches.
        for (; !vnni && row + 2 <= rows; row += 2)
        {
            sbyte* w = weights + (long)row * k;
            int* s0 = sums + (long)row * n, s1 = s0 + n;
            int j = 0;
            for (; j + 4 <= n; j += 4)
                DotWidening2x4(w, w + k, activations + (long)j * k, k, length, signedActivations, s0 + j, s1 + j);
            for (; j < n; j++)
            {
                s0[j] += DotWidening1(w, activations + (long)j * k, length, signedActivations);
                s1[j] += DotWidening1(w + k, activations + (long)j * k, length, signedActivations);
            }
        }
        for (; row < rows; row++)
        {
            sbyte* w = weights + (long)row * k;
            int* s = sums + (long)row * n;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                byte* x = activations + (long)j * k;
                if (vnni)
                    DotVnni4(w, x, k, length, s + j);
                else
                    DotWidening4(w, x, k, length, signedActivations, s + j);
            }
            for (; j < n; j++)
                s[j] += DotWidening1(w, activations + (long)j * k, length, signedActivations);
        }
    }

    /// <summary>Receives a finished row of accumulators.</summary>
    public delegate void FinishRow(int row, int* accumulators);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen(byte* x, bool signedActivations)
        => signedActivations ? Avx2.ConvertToVector256Int16((sbyte*)x) : Avx2.ConvertToVector256Int16(x);

    /// <summary>Adds Σ_i w[i]·x_c[i] over <paramref name="length"/> steps to result[c] for four
    /// activation columns x_c = x + c·<paramref name="stride"/>, without the zero point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotWidening4(sbyte* w, byte* x, long stride, int length, bool signedActivations, int* result)
    {
        Vector256<int> s0 = Vector256<int>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            var wv = Avx2.ConvertToVector256Int16(w + i);
            s0 += Avx2.MultiplyAddAdjacent(wv, Widen(x + i, signedActivations));
            s1 += Avx2.MultiplyAddAdjacent(wv, Widen(x + stride + i, signedActivations));
            s2 += Avx2.MultiplyAddAdjacent(wv, Widen(x + 2 * stride + i, signedActivations));
            s3 += Avx2.MultiplyAddAdjacent(wv, Widen(x + 3 * stride + i, signedActivations));
        }
        AddLaneSums(result, s0, s1, s2, s3);
        for (; i < length; i++)
        {
            int weight = w[i];
            for (int c = 0; c < 4; c++)
                result[c] += weight * Activation(x + c * stride + i, signedActivations);
        }
    }

    /// <summary><see cref="DotWidening4"/> for two weight rows at once: eight int32 accumulators,
    /// each widened activation vector multiplied by both rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotWidening2x4(sbyte* w0, sbyte* w1, byte* x, long stride, int length, bool signedActivations, int* result0, int* result1)
    {
        Vector256<int> s00 = Vector256<int>.Zero, s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        int i = 0;
        for (; i + 16 <= length; i += 16)
        {
            var a = Avx2.ConvertToVector256Int16(w0 + i);
            var b = Avx2.ConvertToVector256Int16(w1 + i);
            var x0 = Widen(x + i, signedActivations);
            s00 += Avx2.MultiplyAddAdjacent(a, x0);
            s10 += Avx2.MultiplyAddAdjacent(b, x0);
            var x1 = Widen(x + stride + i, signedActivations);
            s01 += Avx2.MultiplyAddAdjacent(a, x1);
            s11 += Avx2.MultiplyAddAdjacent(b, x1);
            var x2 = Widen(x + 2 * stride + i, signedActivations);
            s02 += Avx2.MultiplyAddAdjacent(a, x2);
            s12 += Avx2.MultiplyAddAdjacent(b, x2);
            var x3 = Widen(x + 3 * stride + i, signedActivations);
            s03 += Avx2.MultiplyAddAdjacent(a, x3);
            s13 += Avx2.MultiplyAddAdjacent(b, x3);
        }
        AddLaneSums(result0, s00, s01, s02, s03);
        AddLaneSums(result1, s10, s11, s12, s13);
        for (; i < length; i++)
        {
            int first = w0[i], second = w1[i];
            for (int c = 0; c < 4; c++)
            {
                int value = Activation(x + c * stride + i, signedActivations);
                result0[c] += first * value;
                result1[c] += second * value;
            }
        }
    }

    /// <summary>Adds the lane sum of each of four accumulators to four consecutive results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddLaneSums(int* result, Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3)
    {
        result[0] += Vector256.Sum(s0);
        result[1] += Vector256.Sum(s1);
        result[2] += Vector256.Sum(s2);
        result[3] += Vector256.Sum(s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Activation(byte* x, bool signedActivations) => signedActivations ? *(sbyte*)x : *x;

    /// <summary>Four weight rows × two 7-bit activation columns through vpmaddubsw (see
    /// <see cref="QuantizedDotPath.Narrow"/>): each activation vector, read from L2, feeds four
    /// rows held in L1 (two rows × four columns read the activations twice as often, and measured
    /// slower in `bench gemm`'s int8 linear).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNarrow4x2(sbyte* w0, sbyte* w1, sbyte* w2, sbyte* w3, byte* x0, byte* x1, int length, int* result0, int* result1, int* result2, int* result3)
    {
        var ones = Vector256.Create((short)1);
        Vector256<int> s00 = Vector256<int>.Zero, s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            var a = Avx.LoadVector256(x0 + i);
            var b = Avx.LoadVector256(x1 + i);
            var w = Avx.LoadVector256(w0 + i);
            s00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, w), ones);
            s01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w), ones);
            w = Avx.LoadVector256(w1 + i);
            s10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, w), ones);
            s11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w), ones);
            w = Avx.LoadVector256(w2 + i);
            s20 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, w), ones);
            s21 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w), ones);
            w = Avx.LoadVector256(w3 + i);
            s30 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, w), ones);
            s31 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(b, w), ones);
        }
        result0[0] += Vector256.Sum(s00); result0[1] += Vector256.Sum(s01);
        result1[0] += Vector256.Sum(s10); result1[1] += Vector256.Sum(s11);
        result2[0] += Vector256.Sum(s20); result2[1] += Vector256.Sum(s21);
        result3[0] += Vector256.Sum(s30); result3[1] += Vector256.Sum(s31);
        for (; i < length; i++)
        {
            int v0 = x0[i], v1 = x1[i];
            result0[0] += w0[i] * v0; result0[1] += w0[i] * v1;
            result1[0] += w1[i] * v0; result1[1] += w1[i] * v1;
            result2[0] += w2[i] * v0; result2[1] += w2[i] * v1;
            result3[0] += w3[i] * v0; result3[1] += w3[i] * v1;
        }
    }

    /// <summary>Two weight rows × one 7-bit activation column, for batch 1 and an odd last column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNarrow2x1(sbyte* w0, sbyte* w1, byte* x, int length, int* result0, int* result1)
    {
        var ones = Vector256.Create((short)1);
        Vector256<int> s0 = Vector256<int>.Zero, s1 = s0, t0 = s0, t1 = s0;
        int i = 0;
        for (; i + 64 <= length; i += 64)
        {
            var low = Avx.LoadVector256(x + i);
            var high = Avx.LoadVector256(x + i + 32);
            s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Avx.LoadVector256(w0 + i)), ones);
            t0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Avx.LoadVector256(w0 + i + 32)), ones);
            s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Avx.LoadVector256(w1 + i)), ones);
            t1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Avx.LoadVector256(w1 + i + 32)), ones);
        }
        int first = Vector256.Sum(s0 + t0), second = Vector256.Sum(s1 + t1);
        for (; i < length; i++)
        {
            first += w0[i] * x[i];
            second += w1[i] * x[i];
        }
        *result0 += first;
        *result1 += second;
    }

    /// <summary>Σ_i w[i]·x[i] over <paramref name="length"/> steps for one activation column (batch 1,
    /// and the columns left over by four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DotWidening1(sbyte* w, byte* x, int length, bool signedActivations)
    {
        Vector256<int> s0 = Vector256<int>.Zero, s1 = s0;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + i), Widen(x + i, signedActivations));
            s1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + i + 16), Widen(x + i + 16, signedActivations));
        }
        int sum = Vector256.Sum(s0 + s1);
        for (; i < length; i++)
            sum += w[i] * Activation(x + i, signedActivations);
        return sum;
    }

    /// <summary>As <see cref="DotWidening4"/> with uint8 activations through vpdpbusd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotVnni4(sbyte* w, byte* x, long stride, int length, int* result)
    {
        Vector256<int> s0 = Vector256<int>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            var wv = Avx.LoadVector256(w + i);
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, Avx.LoadVector256(x + i), wv);
            s1 = AvxVnni.MultiplyWideningAndAdd(s1, Avx.LoadVector256(x + stride + i), wv);
            s2 = AvxVnni.MultiplyWideningAndAdd(s2, Avx.LoadVector256(x + 2 * stride + i), wv);
            s3 = AvxVnni.MultiplyWideningAndAdd(s3, Avx.LoadVector256(x + 3 * stride + i), wv);
        }
        AddLaneSums(result, s0, s1, s2, s3);
        for (; i < length; i++)
            for (int c = 0; c < 4; c++)
                result[c] += w[i] * x[c * stride + i];
    }
}
