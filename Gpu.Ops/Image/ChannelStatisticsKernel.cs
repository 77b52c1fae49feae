using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>Per-channel mean and biased variance over N·H·W, two-pass (mean first, then the sum
/// of squared deviations, which stays accurate where E[x²] − E[x]² would cancel). One group per
/// channel; each thread strides over the channel's elements, then a shared-memory tree reduces the
/// partial sums.</summary>
public struct ChannelStatisticsKernel : IGroupKernel
{
    /// <summary>Threads per group (a power of two).</summary>
    public const int GroupSize = 256;

    /// <summary>The image.</summary>
    public ArrayView<float> Input;
    /// <summary>Receives means (first C) and variances (next C).</summary>
    public ArrayView<float> Moments;
    /// <summary>The image's strides.</summary>
    public ImageStrides Strides;
    /// <summary>C, N and H·W.</summary>
    public int Channels, Batch, Pixels;

    /// <summary>Reduces every channel of an image: with this kernel, or where the device prefers
    /// barrier-free schedules with <see cref="ChannelStatisticsPartKernel"/> and its merge (planes
    /// contiguous, as in NCHW) or <see cref="ChannelStatisticsRowKernel"/> (interleaved channels).</summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="input">The image.</param>
    /// <param name="moments">2·C outputs.</param>
    /// <param name="strides">The image's strides (rows contiguous in pixels, as NCHW and NHWC are).</param>
    /// <param name="channels">C.</param>
    /// <param name="batch">N.</param>
    /// <param name="pixels">H·W.</param>
    public static void Launch(Accelerator accelerator, ArrayView<float> input, ArrayView<float> moments, ImageStrides strides, int channels, int batch, int pixels)
    {
        if (accelerator.Device.PrefersBarrierFreeSchedule() && strides.Column == 1)
            LaunchParts(accelerator, input, moments, strides, channels, batch, pixels);
        else if (accelerator.Device.PrefersBarrierFreeSchedule())
            accelerator.LaunchGrouped(ChannelStatisticsRowKernel.ExtentOf(channels), new ChannelStatisticsRowKernel
            {
                Input = input, Moments = moments, Strides = strides, Channels = channels, Batch = batch, Pixels = pixels,
            });
        else
            accelerator.LaunchGrouped(new GroupedExtent(channels, GroupSize),
                new ChannelStatisticsKernel { Input = input, Moments = moments, Strides = strides, Channels = channels, Batch = batch, Pixels = pixels });
    }

    private static void LaunchParts(Accelerator accelerator, ArrayView<float> input, ArrayView<float> moments, ImageStrides strides, int channels, int batch, int pixels)
    {
        int count = ChannelStatisticsPartKernel.PartCount(channels, batch, pixels);
        using var parts = accelerator.Allocate<float>(2L * count);
        accelerator.Launch(count, new ChannelStatisticsPartKernel
        {
            Input = input, Parts = parts.View, Strides = strides, Channels = channels, Batch = batch, Pixels = pixels,
        });
        accelerator.Launch(channels, new ChannelStatisticsMergeKernel
        {
            Parts = parts.View, Moments = moments, Channels = channels, Batch = batch, Pixels = pixels,
        });
        // The parts' buffer is freed on return, under kernels that may still be queued.
        accelerator.Synchronize();
    }

    /// <summary>The same two-pass statistics on host memory, in double, on one thread: the plain
    /// reference the kernel and the CPU path (<see cref="ChannelStatisticsCpu"/>) are tested against.</summary>
    /// <param name="input">The image.</param>
    /// <param name="moments">2·C outputs.</param>
    /// <param name="strides">The image's strides.</param>
    /// <param name="channels">C.</param>
    /// <param name="batch">N.</param>
    /// <param name="pixels">H·W.</param>
    public static void ComputeOnHost(ReadOnlySpan<float> input, Span<float> moments, ImageStrides strides, int channels, int batch, int pixels)
    {
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < pixels; p++)
                    sum += input[n * strides.Batch + c * strides.Channel + p * strides.Column];
            double mean = sum / ((double)batch * pixels), squares = 0;
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < pixels; p++)
                {
                    double deviation = input[n * strides.Batch + c * strides.Channel + p * strides.Column] - mean;
                    squares += deviation * deviation;
                }
            moments[c] = (float)mean;
            moments[channels + c] = (float)(squares / ((double)batch * pixels));
        }
    }

    /// <summary>One thread of a channel's group.</summary>
    public void Execute()
    {
        ArrayView<float> partial = SharedMemory.Allocate<float>(GroupSize);
        int c = Grid.IdxX, thread = Group.IdxX;
        int count = Batch * Pixels;
        float sum = 0f;
        for (int e = thread; e < count; e += GroupSize)
            sum += Input[ElementOffset(Strides, Pixels, c, e)];
        float mean = Reduce(partial, thread, sum) / count;
        float squares = 0f;
        for (int e = thread; e < count; e += GroupSize)
        {
            float deviation = Input[ElementOffset(Strides, Pixels, c, e)] - mean;
            squares += deviation * deviation;
        }
        float variance = Reduce(partial, thread, squares) / count;
        if (thread == 0)
        {
            Moments[c] = mean;
            Moments[Channels + c] = variance;
        }
    }

    private static int ElementOffset(ImageStrides strides, int pixels, int channel, int element)
    {
        int n = element / pixels;
        return n * strides.Batch + channel * strides.Channel + (element - n * pixels) * strides.Column;
    }

    /// <summary>The group's total of <paramref name="value"/>, seen by every thread.</summary>
    private static float Reduce(ArrayView<float> partial, int thread, float value)
    {
        partial[thread] = value;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half /= 2)
        {
            if (thread < half)
                partial[thread] += partial[thread + half];
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }
}
