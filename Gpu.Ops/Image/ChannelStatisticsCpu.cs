using System.Numerics;
using System.Runtime.CompilerServices;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="ChannelStatisticsKernel"/>: per-channel mean and biased
/// variance over N·H·W, read from memory once. The image is cut into parts of about 16K elements
/// (within a channel plane for NCHW, whole pixels for NHWC) spread over the cores; each part is
/// reduced two-pass while it is in cache (its mean, then the sum of squared deviations from it),
/// in float vector lanes that each add at most a few dozen values; the parts are then merged per
/// channel in double with Chan et al.'s pairwise formula, so no E[x²] − E[x]² cancellation occurs
/// anywhere.</summary>
internal static unsafe class ChannelStatisticsCpu
{
    /// <summary>Accumulator row length: rows of this many elements (a whole number of pixels) are
    /// added lane by lane, so each lane sees one channel and a part needs only ~64 adds a lane.</summary>
    private const int RowTarget = 256;

    /// <summary>Writes means (first C) and variances (next C) of <paramref name="input"/> to <paramref name="moments"/>.</summary>
    /// <param name="input">The image, in host-addressable memory.</param>
    /// <param name="moments">2·C outputs.</param>
    /// <param name="strides">The image's strides (NCHW or NHWC).</param>
    /// <param name="channels">C.</param>
    /// <param name="batch">N.</param>
    /// <param name="pixels">H·W.</param>
    public static void Compute(ArrayView<float> input, Span<float> moments, ImageStrides strides, int channels, int batch, int pixels)
    {
        // Channel stride 1 is NHWC, and NCHW of 1×1 images, which is laid out the same.
        bool interleaved = strides.Channel == 1;
        int period = interleaved ? channels : 1;
        int segments = interleaved ? 1 : batch * channels, segmentLength = interleaved ? batch * pixels : pixels;
        int partLength = Math.Max(1, ElementwiseCpu.PartLength / period);
        int partsPerSegment = Math.Max(1, (segmentLength + partLength - 1) / partLength);
        var partMeans = new double[segments * partsPerSegment * period];
        var partSquares = new double[partMeans.Length];
        var partCounts = new int[segments * partsPerSegment];
        ElementwiseCpu.ForEachPart(segments, segmentLength, partLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part, segment, start, count) =>
        {
            float* x = CpuRows.Pointer(input) + ((long)segment * segmentLength + start) * period;
            partCounts[part] = count;
            Reduce(x, count * period, period, partMeans.AsSpan(part * period, period), partSquares.AsSpan(part * period, period));
        });
        for (int c = 0; c < channels; c++)
        {
            // Part p holds channel c at p·period + c (interleaved) or, alone, when its plane is c's.
            double total = (double)batch * pixels, sum = 0, squares = 0;
            for (int p = 0; p < partCounts.Length; p++)
                if (interleaved || p / partsPerSegment % channels == c)
                    sum += partCounts[p] * partMeans[p * period + (interleaved ? c : 0)];
            double mean = sum / total;
            for (int p = 0; p < partCounts.Length; p++)
                if (interleaved || p / partsPerSegment % channels == c)
                {
                    int at = p * period + (interleaved ? c : 0);
                    double offset = partMeans[at] - mean;
                    squares += partSquares[at] + partCounts[p] * offset * offset;
                }
            moments[c] = (float)mean;
            moments[channels + c] = (float)(squares / total);
        }
    }

    /// <summary>The per-channel mean and sum of squared deviations of <paramref name="length"/>
    /// contiguous elements in which channel c sits at offsets ≡ c (mod <paramref name="period"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Reduce(float* x, int length, int period, Span<double> means, Span<double> squares)
    {
        int rowLength = period * Math.Max(1, RowTarget / period);
        float* lanes = ThreadScratch.Row(2L * rowLength), centre = lanes + rowLength;
        double count = length / period;
        Accumulate<Sum>(x, length, rowLength, lanes, centre);
        for (int c = 0; c < period; c++)
        {
            // The mean as a float is the centre the deviations are taken from, so merging uses it too.
            means[c] = (float)(ChannelTotal(lanes, rowLength, period, c) / count);
            for (int j = c; j < rowLength; j += period)
                centre[j] = (float)means[c];
        }
        Accumulate<SquaredDeviation>(x, length, rowLength, lanes, centre);
        for (int c = 0; c < period; c++)
            squares[c] = ChannelTotal(lanes, rowLength, period, c);
    }

    private static double ChannelTotal(float* lanes, int rowLength, int period, int channel)
    {
        double total = 0;
        for (int j = channel; j < rowLength; j += period)
            total += lanes[j];
        return total;
    }

    /// <summary><c>lanes[j] = Σ_rows term(x[row + j], centre[j])</c> over rows of <paramref name="rowLength"/>
    /// (the last one shorter: still whole pixels, so lane j keeps its channel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<TTerm>(float* x, int length, int rowLength, float* lanes, float* centre) where TTerm : struct, ITerm
    {
        new Span<float>(lanes, rowLength).Clear();
        for (int row = 0; row < length; row += rowLength)
        {
            float* source = x + row;
            int n = Math.Min(rowLength, length - row), j = 0;
            for (; j + Vector<float>.Count <= n; j += Vector<float>.Count)
                Vector.Store(Vector.Load(lanes + j) + TTerm.Of(Vector.Load(source + j), Vector.Load(centre + j)), lanes + j);
            for (; j < n; j++)
                lanes[j] += TTerm.Of(source[j], centre[j]);
        }
    }

    /// <summary>What a reduction adds per element.</summary>
    private interface ITerm
    {
        static abstract Vector<float> Of(Vector<float> x, Vector<float> centre);

        static abstract float Of(float x, float centre);
    }

    private struct Sum : ITerm
    {
        public static Vector<float> Of(Vector<float> x, Vector<float> centre) => x;

        public static float Of(float x, float centre) => x;
    }

    private struct SquaredDeviation : ITerm
    {
        public static Vector<float> Of(Vector<float> x, Vector<float> centre) => (x - centre) * (x - centre);

        public static float Of(float x, float centre) => (x - centre) * (x - centre);
    }
}
