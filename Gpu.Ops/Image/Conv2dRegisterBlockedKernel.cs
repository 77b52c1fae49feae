using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The parameters of the NCHW convolution for devices that run work items as loops on a host
/// processor (an OpenCL CPU runtime such as PoCL, see <see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>),
/// and its two tap loops; <see cref="Conv2dRegisterBlockedKernel{TActivation}"/> is the kernel, one per
/// activation type. One work item computes a register block of <see cref="Run"/> consecutive output
/// pixels of one row in <see cref="ChannelsPerItem"/> output channels, looping over input channels and
/// taps itself, with no group, barrier or shared memory.</summary>
/// <remarks>Why this schedule: barriers make such runtimes keep every live value in memory between
/// them (docs/opencl-engine.md, section 3), so the accumulators must live in one item. They are
/// separate scalar fields (<see cref="PixelRun"/>), not an array, which the C compiler keeps in memory;
/// as scalars its SLP vectoriser packs the run's lanes into vector registers. Per tap the item loads
/// the run's input row segment (dilation only shifts it; with stride 1 it is contiguous, one vector
/// load), and multiplies it by one broadcast weight per output channel. The weights are packed once
/// per layer so that a tap's weights of a channel block are adjacent. An item whose taps all read
/// inside the image at stride 1 runs a loop without any bounds check; an item at the border or with
/// a larger stride runs a loop that tests each tap: skipped wholly outside, one plain load wholly inside
/// (stride 1), each lane checked (zero outside) otherwise.</remarks>
public struct Conv2dRegisterBlockedKernel : IActivationSpecializedLaunch
{
    /// <summary>Consecutive output pixels per work item.</summary>
    public const int Run = PixelRun.Lanes;
    /// <summary>Output channels per work item.</summary>
    public const int ChannelsPerItem = ChannelBlock.Channels;

    /// <summary>NCHW input.</summary>
    public ArrayView<float> Input;
    /// <summary>Weights as <see cref="Pack"/> arranges them.</summary>
    public ArrayView<float> Packed;
    /// <summary>Per-output-channel epilogue scale and shift.</summary>
    public ArrayView<float> Scale, Shift;
    /// <summary>Added after the activation when not empty.</summary>
    public ArrayView<float> Residual;
    /// <summary>NCHW output.</summary>
    public ArrayView<float> Output;
    /// <summary>Geometry.</summary>
    public int Batch, InChannels, OutChannels, Height, Width, OutHeight, OutWidth, KernelHeight, KernelWidth, Stride, Dilation, PadTop, PadLeft, ChannelBlocks;
    /// <summary>The activation, which picks the kernel's activation type at launch.</summary>
    public ActivationKind Activation;
    /// <summary>The LeakyReLU slope.</summary>
    public float Slope;

    /// <summary>Output channels in blocks of <see cref="ChannelsPerItem"/>, the last one padded.</summary>
    private static int BlocksOf(Conv2dShape shape) => (shape.OutChannels + ChannelsPerItem - 1) / ChannelsPerItem;

    /// <summary>(O, C, KH, KW) weights rearranged to (O/4, C, KH, KW, 4), output channels past O zero,
    /// so that the four weights one tap needs are adjacent.</summary>
    public static float[] Pack(Conv2dShape shape, ReadOnlySpan<float> weights)
    {
        int taps = shape.KernelHeight * shape.KernelWidth;
        var packed = new float[(long)BlocksOf(shape) * ChannelsPerItem * shape.InChannels * taps];
        for (int o = 0; o < shape.OutChannels; o++)
        {
            int block = o / ChannelsPerItem, lane = o - block * ChannelsPerItem;
            for (int c = 0; c < shape.InChannels; c++)
            {
                for (int t = 0; t < taps; t++)
                    packed[(((long)block * shape.InChannels + c) * taps + t) * ChannelsPerItem + lane] = weights[(int)(((long)o * shape.InChannels + c) * taps + t)];
            }
        }
        return packed;
    }

    /// <summary>The parameters of a layer; launch them with <see cref="ActivationFunctions.Launch"/>.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">NCHW input.</param>
    /// <param name="packed">Weights from <see cref="Pack"/>.</param>
    /// <param name="scale">O epilogue scales.</param>
    /// <param name="shift">O epilogue shifts.</param>
    /// <param name="residual">Residual or empty.</param>
    /// <param name="output">NCHW output.</param>
    /// <param name="activation">The activation.</param>
    public static Conv2dRegisterBlockedKernel For(Conv2dShape shape, ArrayView<float> input, ArrayView<float> packed, ArrayView<float> scale, ArrayView<float> shift,
        ArrayView<float> residual, ArrayView<float> output, Activation activation) => new()
    {
        Input = input, Packed = packed, Scale = scale, Shift = shift, Residual = residual, Output = output,
        Batch = shape.Batch, InChannels = shape.InChannels, OutChannels = shape.OutChannels, Height = shape.Height, Width = shape.Width,
        OutHeight = shape.OutHeight, OutWidth = shape.OutWidth, KernelHeight = shape.KernelHeight, KernelWidth = shape.KernelWidth,
        Stride = shape.Stride, Dilation = shape.Dilation, PadTop = shape.Padding.Top, PadLeft = shape.Padding.Left,
        ChannelBlocks = BlocksOf(shape), Activation = activation.Kind, Slope = activation.Slope,
    };

    /// <summary>The loop for items whose every tap reads a whole run inside the image at stride 1: one
    /// contiguous load per tap, no check, so the compiler sees consecutive lanes throughout.</summary>
    internal readonly void AccumulateInside(ref ChannelBlock sums, int n, int block, int inX, int inY)
    {
        int taps = KernelHeight * KernelWidth;
        for (int c = 0; c < InChannels; c++)
        {
            int plane = (n * InChannels + c) * Height;
            int weightsAt = (block * InChannels + c) * taps * ChannelsPerItem;
            for (int u = 0; u < KernelHeight; u++)
            {
                int row = inY + u * Dilation;
                if (row < 0 || row >= Height)
                    continue;
                int rowAt = (plane + row) * Width + inX;
                for (int v = 0; v < KernelWidth; v++)
                {
                    var x = PixelRun.Load(Input, rowAt + v * Dilation);
                    sums.MultiplyAdd(Packed, weightsAt + (u * KernelWidth + v) * ChannelsPerItem, x);
                }
            }
        }
    }

    /// <summary>The loop for items at the image border or with stride above 1: tap rows and taps wholly
    /// outside the image are skipped, a stride-1 tap wholly inside reads its run with one contiguous load,
    /// any other tap reads each lane only inside the image (zero padding outside).</summary>
    /// <remarks>Kept apart from <see cref="AccumulateInside"/> on purpose: a hand-written loop choosing
    /// the load per tap and then adding the chosen run (a branch between the loads and one set of sums)
    /// was not vectorised by PoCL at all and ran an order of magnitude slower. Here each branch has its
    /// own multiply-adds, which PoCL does vectorise, but the interior items, most of the work, keep the
    /// loop without any test.</remarks>
    internal readonly void AccumulateChecked(ref ChannelBlock sums, int n, int block, int inX, int inY)
    {
        int taps = KernelHeight * KernelWidth;
        for (int c = 0; c < InChannels; c++)
        {
            int plane = (n * InChannels + c) * Height;
            int weightsAt = (block * InChannels + c) * taps * ChannelsPerItem;
            for (int u = 0; u < KernelHeight; u++)
            {
                int row = inY + u * Dilation;
                if (row < 0 || row >= Height)
                    continue;
                int rowAt = (plane + row) * Width;
                for (int v = 0; v < KernelWidth; v++)
                {
                    int first = inX + v * Dilation;
                    // A tap whose every lane falls outside the row would add only zeros (the direct kernel skips those
                    // columns too); at large dilations that is a third of a border item's taps.
                    if (first >= Width || first + (long)(Run - 1) * Stride < 0)
                        continue;
                    int tap = weightsAt + (u * KernelWidth + v) * ChannelsPerItem;
                    if (Stride == 1 && first >= 0 && first + Run <= Width)
                        sums.MultiplyAdd(Packed, tap, PixelRun.Load(Input, rowAt + first));
                    else
                        sums.MultiplyAdd(Packed, tap, PixelRun.LoadChecked(Input, rowAt, first, Stride, Width));
                }
            }
        }
    }

    /// <summary>Launches one work item per run of a row (x), output row (y) and image × channel block (z).</summary>
    readonly void IActivationSpecializedLaunch.Launch<TActivation>(Accelerator accelerator)
        => accelerator.Launch((OutWidth + Run - 1) / Run, OutHeight, Batch * ChannelBlocks, new Conv2dRegisterBlockedKernel<TActivation> { Parameters = this });
}

/// <summary>The register-blocked convolution's kernel (<see cref="Conv2dRegisterBlockedKernel"/>) with its
/// activation a type, so that the epilogue is straight-line code the C compiler can vectorise.</summary>
/// <remarks>The epilogue of a whole run works on the 16 lanes as scalars, as the sums do: the
/// activation, the residual and the store of each lane written out, so the SLP vectoriser turns them
/// into a few vector instructions. A loop over the lanes (picking lane <c>i</c> by a switch) and an
/// activation chosen by a run-time switch kept it scalar; writing it out cut the kernel's processor
/// time on PoCL by about a third (docs/opencl-engine.md, section 8.1). Only a row's last, partial run stores lane by lane.</remarks>
public struct Conv2dRegisterBlockedKernel<TActivation> : IKernel3D where TActivation : struct, IActivationFunction
{
    /// <summary>The views, geometry and slope (its <see cref="Conv2dRegisterBlockedKernel.Activation"/> is unused).</summary>
    public Conv2dRegisterBlockedKernel Parameters;
    /// <summary>The activation.</summary>
    public TActivation Function;

    /// <summary>One work item: output pixels <c>run·16 …</c> of row <paramref name="y"/> in one channel block.</summary>
    /// <param name="run">Which run of the row.</param>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·blocks + channel block.</param>
    public void Execute(int run, int y, int z)
    {
        int n = z / Parameters.ChannelBlocks;
        int block = z - n * Parameters.ChannelBlocks;
        int x0 = run * Conv2dRegisterBlockedKernel.Run;
        int inX = x0 * Parameters.Stride - Parameters.PadLeft, inY = y * Parameters.Stride - Parameters.PadTop;
        // 64-bit: the last tap's run may end past int.MaxValue only when it also ends past the image.
        bool inside = Parameters.Stride == 1 && inX >= 0 && inX + (long)(Parameters.KernelWidth - 1) * Parameters.Dilation + Conv2dRegisterBlockedKernel.Run <= Parameters.Width;
        var sums = new ChannelBlock();
        if (inside)
            Parameters.AccumulateInside(ref sums, n, block, inX, inY);
        else
            Parameters.AccumulateChecked(ref sums, n, block, inX, inY);
        int o0 = block * Conv2dRegisterBlockedKernel.ChannelsPerItem;
        int count = Math.Min(Conv2dRegisterBlockedKernel.Run, Parameters.OutWidth - x0);
        int plane = Parameters.OutHeight * Parameters.OutWidth;
        int at = ((n * Parameters.OutChannels + o0) * Parameters.OutHeight + y) * Parameters.OutWidth + x0;
        Store(sums.C0, o0, at, count);
        if (o0 + 1 < Parameters.OutChannels)
            Store(sums.C1, o0 + 1, at + plane, count);
        if (o0 + 2 < Parameters.OutChannels)
            Store(sums.C2, o0 + 2, at + 2 * plane, count);
        if (o0 + 3 < Parameters.OutChannels)
            Store(sums.C3, o0 + 3, at + 3 * plane, count);
    }

    /// <summary>Applies the epilogue (<see cref="ConvEpilogueMath.Finish"/>'s arithmetic, in its order) to the
    /// first <paramref name="count"/> lanes of one channel's run and stores them at <paramref name="at"/>.</summary>
    private readonly void Store(in PixelRun sums, int o, int at, int count)
    {
        var values = Activated(sums, Parameters.Scale[o], Parameters.Shift[o]);
        if (count == PixelRun.Lanes)
        {
            if (Parameters.Residual.Length > 0)
                values.Add(PixelRun.Load(Parameters.Residual, at));
            values.Store(Parameters.Output, at);
        }
        else
        {
            for (int i = 0; i < count; i++)
                Parameters.Output[at + i] = Parameters.Residual.Length > 0 ? values.Lane(i) + Parameters.Residual[at + i] : values.Lane(i);
        }
    }

    /// <summary><c>act(sum·scale + shift)</c> of each lane.</summary>
    private readonly PixelRun Activated(in PixelRun sums, float scale, float shift)
    {
        float slope = Parameters.Slope;
        return new()
        {
            P0 = Function.Apply(slope, sums.P0 * scale + shift), P1 = Function.Apply(slope, sums.P1 * scale + shift),
            P2 = Function.Apply(slope, sums.P2 * scale + shift), P3 = Function.Apply(slope, sums.P3 * scale + shift),
            P4 = Function.Apply(slope, sums.P4 * scale + shift), P5 = Function.Apply(slope, sums.P5 * scale + shift),
            P6 = Function.Apply(slope, sums.P6 * scale + shift), P7 = Function.Apply(slope, sums.P7 * scale + shift),
            P8 = Function.Apply(slope, sums.P8 * scale + shift), P9 = Function.Apply(slope, sums.P9 * scale + shift),
            P10 = Function.Apply(slope, sums.P10 * scale + shift), P11 = Function.Apply(slope, sums.P11 * scale + shift),
            P12 = Function.Apply(slope, sums.P12 * scale + shift), P13 = Function.Apply(slope, sums.P13 * scale + shift),
            P14 = Function.Apply(slope, sums.P14 * scale + shift), P15 = Function.Apply(slope, sums.P15 * scale + shift),
        };
    }
}

/// <summary>Sixteen consecutive pixels of one channel row, as separate fields so that a compiler keeps
/// them in registers (vector lanes after SLP vectorisation) rather than in memory as it would an array.</summary>
internal struct PixelRun
{
    /// <summary>Pixels per run.</summary>
    public const int Lanes = 16;

    /// <summary>The pixels, left to right.</summary>
    public float P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15;

    /// <summary>Elements <c>at … at+15</c>, all inside the view.</summary>
    /// <remarks>The index is 64-bit on purpose: the translator keeps C#'s wrapping 32-bit adds, and a
    /// compiler cannot tell that <c>(int)(at + 1)</c> follows <c>at</c> in memory (it could wrap), so it
    /// would gather the lanes one by one; <c>at + 1</c> in 64 bits follows <c>at</c> exactly.</remarks>
    public static PixelRun Load(ArrayView<float> source, long at) => new()
    {
        P0 = source[at], P1 = source[at + 1], P2 = source[at + 2], P3 = source[at + 3],
        P4 = source[at + 4], P5 = source[at + 5], P6 = source[at + 6], P7 = source[at + 7],
        P8 = source[at + 8], P9 = source[at + 9], P10 = source[at + 10], P11 = source[at + 11],
        P12 = source[at + 12], P13 = source[at + 13], P14 = source[at + 14], P15 = source[at + 15],
    };

    /// <summary>Columns <c>x + i·step</c> of the row starting at <paramref name="rowAt"/>, zero where a column is outside [0, width).</summary>
    public static PixelRun LoadChecked(ArrayView<float> source, int rowAt, int x, int step, int width) => new()
    {
        P0 = At(source, rowAt, x, width), P1 = At(source, rowAt, x + step, width),
        P2 = At(source, rowAt, x + 2 * step, width), P3 = At(source, rowAt, x + 3 * step, width),
        P4 = At(source, rowAt, x + 4 * step, width), P5 = At(source, rowAt, x + 5 * step, width),
        P6 = At(source, rowAt, x + 6 * step, width), P7 = At(source, rowAt, x + 7 * step, width),
        P8 = At(source, rowAt, x + 8 * step, width), P9 = At(source, rowAt, x + 9 * step, width),
        P10 = At(source, rowAt, x + 10 * step, width), P11 = At(source, rowAt, x + 11 * step, width),
        P12 = At(source, rowAt, x + 12 * step, width), P13 = At(source, rowAt, x + 13 * step, width),
        P14 = At(source, rowAt, x + 14 * step, width), P15 = At(source, rowAt, x + 15 * step, width),
    };

    private static float At(ArrayView<float> source, int rowAt, int x, int width) => x >= 0 && x < width ? source[rowAt + x] : 0f;

    /// <summary><c>this += weight · x</c> lane by lane, a multiply then an add (no fused rounding, as the direct kernel).</summary>
    public void MultiplyAdd(float weight, in PixelRun x)
    {
        P0 = weight * x.P0 + P0; P1 = weight * x.P1 + P1; P2 = weight * x.P2 + P2; P3 = weight * x.P3 + P3;
        P4 = weight * x.P4 + P4; P5 = weight * x.P5 + P5; P6 = weight * x.P6 + P6; P7 = weight * x.P7 + P7;
        P8 = weight * x.P8 + P8; P9 = weight * x.P9 + P9; P10 = weight * x.P10 + P10; P11 = weight * x.P11 + P11;
        P12 = weight * x.P12 + P12; P13 = weight * x.P13 + P13; P14 = weight * x.P14 + P14; P15 = weight * x.P15 + P15;
    }

    /// <summary><c>this += x</c> lane by lane.</summary>
    public void Add(in PixelRun x)
    {
        P0 += x.P0; P1 += x.P1; P2 += x.P2; P3 += x.P3; P4 += x.P4; P5 += x.P5; P6 += x.P6; P7 += x.P7;
        P8 += x.P8; P9 += x.P9; P10 += x.P10; P11 += x.P11; P12 += x.P12; P13 += x.P13; P14 += x.P14; P15 += x.P15;
    }

    /// <summary>Writes the run to elements <c>at … at+15</c>, all inside the view (a 64-bit index for the reason given at <see cref="Load"/>).</summary>
    public readonly void Store(ArrayView<float> target, long at)
    {
        target[at] = P0; target[at + 1] = P1; target[at + 2] = P2; target[at + 3] = P3;
        target[at + 4] = P4; target[at + 5] = P5; target[at + 6] = P6; target[at + 7] = P7;
        target[at + 8] = P8; target[at + 9] = P9; target[at + 10] = P10; target[at + 11] = P11;
        target[at + 12] = P12; target[at + 13] = P13; target[at + 14] = P14; target[at + 15] = P15;
    }

    /// <summary>Pixel <paramref name="i"/> (0 to 15).</summary>
    public readonly float Lane(int i) => i switch
    {
        0 => P0, 1 => P1, 2 => P2, 3 => P3, 4 => P4, 5 => P5, 6 => P6, 7 => P7,
        8 => P8, 9 => P9, 10 => P10, 11 => P11, 12 => P12, 13 => P13, 14 => P14, _ => P15,
    };
}

/// <summary>The sums of one work item: a <see cref="PixelRun"/> for each of four output channels.</summary>
internal struct ChannelBlock
{
    /// <summary>Output channels per block.</summary>
    public const int Channels = 4;

    /// <summary>The runs of channels o0 … o0+3.</summary>
    public PixelRun C0, C1, C2, C3;

    /// <summary>Adds one tap: <paramref name="x"/> times each channel's weight, the four weights adjacent at
    /// <paramref name="at"/> (a 64-bit index for the reason given at <see cref="PixelRun.Load"/>).</summary>
    public void MultiplyAdd(ArrayView<float> weights, long at, in PixelRun x)
    {
        C0.MultiplyAdd(weights[at], x);
        C1.MultiplyAdd(weights[at + 1], x);
        C2.MultiplyAdd(weights[at + 2], x);
        C3.MultiplyAdd(weights[at + 3], x);
    }
}
