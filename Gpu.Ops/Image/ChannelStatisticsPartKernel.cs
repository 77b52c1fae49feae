using Gpu.Core;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary><see cref="ChannelStatisticsKernel"/>'s schedule for images whose channel planes are
/// contiguous (NCHW) on devices that run work items as loops on a host processor
/// (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>), as the CPU path does it: each work item
/// reduces one part of <see cref="PartLength"/> pixels of one plane two-pass while the part is in
/// cache (its mean, then the sum of squared deviations from it), over 16 scalar lanes the C compiler
/// packs into vector registers; <see cref="ChannelStatisticsMergeKernel"/> then merges a channel's parts
/// with Chan et al.'s pairwise formula. The image is read from memory once, by N·C·parts items.</summary>
public struct ChannelStatisticsPartKernel : IKernel1D
{
    /// <summary>Pixels of one plane a work item reduces (16 KiB of floats, so the second pass reads cache).</summary>
    public const int PartLength = 4096;

    /// <summary>The image.</summary>
    public ArrayView<float> Input;
    /// <summary>Receives each part's mean (first N·C·parts per plane values) and sum of squared deviations from it (next as many).</summary>
    public ArrayView<float> Parts;
    /// <summary>The image's strides; columns must be adjacent.</summary>
    public ImageStrides Strides;
    /// <summary>C, N and H·W.</summary>
    public int Channels, Batch, Pixels;

    /// <summary>Parts one plane of <paramref name="pixels"/> pixels is cut into.</summary>
    public static int PartsPerPlane(int pixels) => (pixels + PartLength - 1) / PartLength;

    /// <summary>Work items (and parts) of an image: no more than its elements, which fit an int.</summary>
    public static int PartCount(int channels, int batch, int pixels) => channels * batch * PartsPerPlane(pixels);

    /// <summary>Pixels in part <paramref name="index"/> of a plane: <see cref="PartLength"/> but for the last.</summary>
    public static int LengthOf(int index, int pixels) => Math.Min(PartLength, pixels - index * PartLength);

    /// <summary>Reduces one part; parts are numbered plane by plane (n, then c), then along the plane.</summary>
    /// <param name="part">The part.</param>
    public void Execute(int part)
    {
        int perPlane = PartsPerPlane(Pixels), plane = part / perPlane, index = part - plane * perPlane;
        int n = plane / Channels, c = plane - n * Channels, length = LengthOf(index, Pixels);
        // 64-bit indices: a wrapping 32-bit one hides from the compiler that a lane set's 16 addresses are adjacent.
        long start = (long)n * Strides.Batch + (long)c * Strides.Channel + (long)index * PartLength;
        float mean = Sum(start, length) / length;
        Parts[part] = mean;
        Parts[PartCount(Channels, Batch, Pixels) + part] = SquaredDeviations(start, length, mean);
    }

    private readonly float Sum(long start, int length)
    {
        GemmRowSegment lanes = default;
        int whole = length - length % GemmRowSegment.Width;
        for (long p = start; p < start + whole; p += GemmRowSegment.Width)
            lanes = Add(lanes, GemmRowSegment.Load(Input, p));
        float total = Total(lanes);
        for (long p = start + whole; p < start + length; p++)
            total += Input[p];
        return total;
    }

    private readonly float SquaredDeviations(long start, int length, float mean)
    {
        GemmRowSegment lanes = default;
        int whole = length - length % GemmRowSegment.Width;
        for (long p = start; p < start + whole; p += GemmRowSegment.Width)
            lanes = AddSquares(lanes, GemmRowSegment.Load(Input, p), mean);
        float total = Total(lanes);
        for (long p = start + whole; p < start + length; p++)
        {
            float deviation = Input[p] - mean;
            total = MathF.FusedMultiplyAdd(deviation, deviation, total);
        }
        return total;
    }

    private static GemmRowSegment Add(GemmRowSegment sum, GemmRowSegment x) => new()
    {
        V0 = sum.V0 + x.V0, V1 = sum.V1 + x.V1, V2 = sum.V2 + x.V2, V3 = sum.V3 + x.V3,
        V4 = sum.V4 + x.V4, V5 = sum.V5 + x.V5, V6 = sum.V6 + x.V6, V7 = sum.V7 + x.V7,
        V8 = sum.V8 + x.V8, V9 = sum.V9 + x.V9, V10 = sum.V10 + x.V10, V11 = sum.V11 + x.V11,
        V12 = sum.V12 + x.V12, V13 = sum.V13 + x.V13, V14 = sum.V14 + x.V14, V15 = sum.V15 + x.V15,
    };

    private static GemmRowSegment AddSquares(GemmRowSegment sum, GemmRowSegment x, float mean) => new()
    {
        V0 = Square(x.V0 - mean, sum.V0), V1 = Square(x.V1 - mean, sum.V1), V2 = Square(x.V2 - mean, sum.V2), V3 = Square(x.V3 - mean, sum.V3),
        V4 = Square(x.V4 - mean, sum.V4), V5 = Square(x.V5 - mean, sum.V5), V6 = Square(x.V6 - mean, sum.V6), V7 = Square(x.V7 - mean, sum.V7),
        V8 = Square(x.V8 - mean, sum.V8), V9 = Square(x.V9 - mean, sum.V9), V10 = Square(x.V10 - mean, sum.V10), V11 = Square(x.V11 - mean, sum.V11),
        V12 = Square(x.V12 - mean, sum.V12), V13 = Square(x.V13 - mean, sum.V13), V14 = Square(x.V14 - mean, sum.V14), V15 = Square(x.V15 - mean, sum.V15),
    };

    /// <summary><c>deviation² + sum</c>, rounded once.</summary>
    private static float Square(float deviation, float sum) => MathF.FusedMultiplyAdd(deviation, deviation, sum);

    private static float Total(GemmRowSegment lanes)
        => (((lanes.V0 + lanes.V1) + (lanes.V2 + lanes.V3)) + ((lanes.V4 + lanes.V5) + (lanes.V6 + lanes.V7)))
            + (((lanes.V8 + lanes.V9) + (lanes.V10 + lanes.V11)) + ((lanes.V12 + lanes.V13) + (lanes.V14 + lanes.V15)));
}

/// <summary>Merges <see cref="ChannelStatisticsPartKernel"/>'s parts into each channel's mean and biased
/// variance, in double: the mean from the parts' counts and means, then the variance as the parts' sums
/// of squared deviations plus each part's count times its mean's squared distance from the channel's
/// (Chan et al.), so no E[x²] − E[x]² cancellation occurs.</summary>
public struct ChannelStatisticsMergeKernel : IKernel1D
{
    /// <summary><see cref="ChannelStatisticsPartKernel.Parts"/>.</summary>
    public ArrayView<float> Parts;
    /// <summary>Receives means (first C) and variances (next C).</summary>
    public ArrayView<float> Moments;
    /// <summary>C, N and H·W.</summary>
    public int Channels, Batch, Pixels;

    /// <summary>Merges one channel's parts.</summary>
    /// <param name="c">The channel.</param>
    public void Execute(int c)
    {
        int perPlane = ChannelStatisticsPartKernel.PartsPerPlane(Pixels);
        int squaresAt = ChannelStatisticsPartKernel.PartCount(Channels, Batch, Pixels);
        double count = (double)Batch * Pixels, sum = 0;
        for (int n = 0; n < Batch; n++)
            for (int index = 0, part = (n * Channels + c) * perPlane; index < perPlane; index++, part++)
                sum += (double)ChannelStatisticsPartKernel.LengthOf(index, Pixels) * Parts[part];
        double mean = sum / count, squares = 0;
        for (int n = 0; n < Batch; n++)
            for (int index = 0, part = (n * Channels + c) * perPlane; index < perPlane; index++, part++)
            {
                double offset = Parts[part] - mean;
                squares += Parts[squaresAt + part] + ChannelStatisticsPartKernel.LengthOf(index, Pixels) * offset * offset;
            }
        Moments[c] = (float)mean;
        Moments[Channels + c] = (float)(squares / count);
    }
}
