using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary><see cref="ChannelStatisticsKernel"/>'s schedule for devices that run work items as loops
/// on a host processor (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): one single-item
/// group per channel walks the channel's pixel runs in order, so memory is read as it lies, with no
/// barrier and no shared memory. Each run is added in blocks of <see cref="BlockLength"/> pixels
/// over <see cref="Lanes"/> separate accumulators (scalar locals, which the C compiler packs into one
/// vector register), and the block totals are added into the channel's total: the same two-pass
/// mean and variance, each float sum spread over short chains.</summary>
public struct ChannelStatisticsRowKernel : IGroupKernel
{
    /// <summary>Independent accumulators a block is spread over.</summary>
    public const int Lanes = 8;

    /// <summary>Pixels added into the lanes before their total joins the channel's.</summary>
    public const int BlockLength = 1024;

    /// <summary>The image.</summary>
    public ArrayView<float> Input;
    /// <summary>Receives means (first C) and variances (next C).</summary>
    public ArrayView<float> Moments;
    /// <summary>The image's strides.</summary>
    public ImageStrides Strides;
    /// <summary>C, N and H·W.</summary>
    public int Channels, Batch, Pixels;

    /// <summary>The launch: one group of one item per channel, so the runtime spreads the channels over its cores.</summary>
    /// <param name="channels">C.</param>
    /// <returns>The grouped extent.</returns>
    public static GroupedExtent ExtentOf(int channels) => new(channels, 1);

    /// <summary>Reduces the channel of this group.</summary>
    public void Execute()
    {
        int c = Grid.IdxX;
        float count = (float)Batch * Pixels;
        float mean = Total(c, 0f, squares: false) / count;
        float variance = Total(c, mean, squares: true) / count;
        Moments[c] = mean;
        Moments[Channels + c] = variance;
    }

    /// <summary>The channel's sum of <c>x − center</c>, or of its squares.</summary>
    private readonly float Total(int c, float center, bool squares)
    {
        float total = 0f;
        for (int n = 0; n < Batch; n++)
        {
            int run = n * Strides.Batch + c * Strides.Channel;
            for (int block = 0; block < Pixels; block += BlockLength)
                total += BlockTotal(run, block, Math.Min(BlockLength, Pixels - block), center, squares);
        }
        return total;
    }

    /// <summary>The sum over <paramref name="length"/> pixels from <paramref name="first"/> of a run,
    /// lane k taking pixels k, k + 8, …; the rest of a block that fills no lane set goes to lane 0.</summary>
    private readonly float BlockTotal(int run, int first, int length, float center, bool squares)
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int column = Strides.Column, end = first + length;
        int p = first;
        for (; p + Lanes <= end; p += Lanes)
        {
            int at = run + p * column;
            s0 += Term(Input[at] - center, squares);
            s1 += Term(Input[at + column] - center, squares);
            s2 += Term(Input[at + 2 * column] - center, squares);
            s3 += Term(Input[at + 3 * column] - center, squares);
            s4 += Term(Input[at + 4 * column] - center, squares);
            s5 += Term(Input[at + 5 * column] - center, squares);
            s6 += Term(Input[at + 6 * column] - center, squares);
            s7 += Term(Input[at + 7 * column] - center, squares);
        }
        for (; p < end; p++)
            s0 += Term(Input[run + p * column] - center, squares);
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    private static float Term(float deviation, bool squares) => squares ? deviation * deviation : deviation;
}
