using System.Diagnostics;
using System.Runtime.CompilerServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The shape of a <see cref="BicubicResizeSeparable"/> call that its temporaries depend on:
/// the batch is not part of it, since the images of a batch take turns in one intermediate image.</summary>
internal readonly record struct BicubicPlanShape(TensorLayout Layout, int Channels, int Height, int Width, int OutHeight, int OutWidth);

/// <summary>What <see cref="BicubicResizeSeparable"/> needs on the device besides its operands for one
/// shape: both axes' <see cref="BicubicTaps"/> tables and one image's intermediate, made once and kept
/// between calls, so that a call of a known shape allocates, uploads and waits for nothing.</summary>
internal sealed class BicubicPlan : IDisposable
{
    private readonly DeviceBuffer<int> offsets;
    private readonly DeviceBuffer<float> weights, middle;

    /// <summary>Computes and uploads the tables of <paramref name="shape"/> and allocates its intermediate.</summary>
    public BicubicPlan(Accelerator accelerator, BicubicPlanShape shape)
    {
        int pixel = ImageStrides.Of(shape.Layout, shape.Channels, shape.Height, shape.Width).Column;
        Planes = shape.Channels / pixel;
        InRow = shape.Width * pixel;
        OutRow = shape.OutWidth * pixel;
        // The horizontal pass gathers, the vertical one reads whole rows: an image that shrinks
        // vertically sums its rows first, so that fewer rows are gathered (as the CPU path does).
        VerticalFirst = shape.Height > shape.OutHeight;
        MiddleRow = VerticalFirst ? InRow : OutRow;
        MiddleHeight = VerticalFirst ? shape.OutHeight : shape.Height;
        var columns = new BicubicTaps((float)shape.Width / shape.OutWidth, shape.OutWidth, shape.Width, pixel, lanes: pixel);
        var rows = new BicubicTaps((float)shape.Height / shape.OutHeight, shape.OutHeight, shape.Height, 1, lanes: 1);
        DeviceBuffer<int>? tapOffsets = null;
        DeviceBuffer<float>? tapWeights = null;
        try
        {
            tapOffsets = accelerator.Allocate<int>([.. columns.Offset, .. rows.Offset]);
            tapWeights = accelerator.Allocate<float>([.. columns.Weight, .. rows.Weight]);
            middle = accelerator.Allocate<float>((long)Planes * MiddleHeight * MiddleRow);
        }
        catch
        {
            // A plan that failed is never kept, so nothing else would free these before the accelerator.
            tapOffsets?.Dispose();
            tapWeights?.Dispose();
            throw;
        }
        offsets = tapOffsets;
        weights = tapWeights;
        ColumnOffsets = offsets.View.SubView(0, columns.Offset.Length);
        RowOffsets = offsets.View.SubView(columns.Offset.Length);
        ColumnWeights = weights.View.SubView(0, columns.Weight.Length);
        RowWeights = weights.View.SubView(columns.Weight.Length);
    }

    /// <summary>Planes of an image: its channels in NCHW, one in NHWC, whose rows hold the pixels' channels.</summary>
    public int Planes { get; }

    /// <summary>Elements of an input row.</summary>
    public int InRow { get; }

    /// <summary>Elements of an output row.</summary>
    public int OutRow { get; }

    /// <summary>Whether the vertical pass runs first (the image shrinks vertically).</summary>
    public bool VerticalFirst { get; }

    /// <summary>Elements of an intermediate row.</summary>
    public int MiddleRow { get; }

    /// <summary>Rows of an intermediate plane.</summary>
    public int MiddleHeight { get; }

    /// <summary>The horizontal taps, for <see cref="BicubicColumnPassKernel"/>.</summary>
    public ArrayView<int> ColumnOffsets { get; }

    /// <summary>The vertical taps' source rows, for <see cref="BicubicRowPassKernel"/>.</summary>
    public ArrayView<int> RowOffsets { get; }

    /// <summary>The horizontal taps' weights.</summary>
    public ArrayView<float> ColumnWeights { get; }

    /// <summary>The vertical taps' weights.</summary>
    public ArrayView<float> RowWeights { get; }

    /// <summary>One image between the passes.</summary>
    public ArrayView<float> Middle => middle.View;

    /// <summary>Frees the tables and the intermediate; the caller makes sure no queued kernel still reads them.</summary>
    public void Dispose()
    {
        offsets.Dispose();
        weights.Dispose();
        middle.Dispose();
    }
}

/// <summary>The <see cref="BicubicPlan"/>s of one accelerator, the few shapes used last, kept as long as
/// the accelerator lives (disposing it frees their buffers with its others).</summary>
/// <remarks>A plan's intermediate is reused by the next call of its shape without waiting: the
/// accelerator's queue is in order, so that call's first pass runs after this one's second. Callers
/// hold <see cref="Gate"/> from taking a plan until their launches are queued, so that two threads'
/// calls of one shape cannot interleave their passes around one intermediate.</remarks>
internal sealed class BicubicPlans
{
    /// <summary>Shapes kept per accelerator: the input and output sizes of a pipeline (down- and
    /// upscaling a video's frames, say) without one evicting the other each frame, and a bound on the memory held.</summary>
    internal const int Capacity = 4;

    private static readonly ConditionalWeakTable<Accelerator, BicubicPlans> ofAccelerator = new();

    private readonly Accelerator accelerator;
    // Most recently used first.
    private readonly List<(BicubicPlanShape Shape, BicubicPlan Plan)> recent = new(Capacity);

    private BicubicPlans(Accelerator accelerator) => this.accelerator = accelerator;

    /// <summary>Held while a call takes a plan and queues the launches that use it.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The plans of <paramref name="accelerator"/>, created on first use.</summary>
    public static BicubicPlans Of(Accelerator accelerator) => ofAccelerator.GetValue(accelerator, owner => new BicubicPlans(owner));

    /// <summary>The plan of <paramref name="shape"/>, made if none is kept; the caller holds <see cref="Gate"/>.</summary>
    public BicubicPlan For(BicubicPlanShape shape)
    {
        Debug.Assert(Gate.IsHeldByCurrentThread, "Plans are taken under Gate.");
        int index = recent.FindIndex(entry => entry.Shape == shape);
        if (index == 0)
            return recent[0].Plan;
        var plan = index > 0 ? recent[index].Plan : new BicubicPlan(accelerator, shape);
        if (index > 0)
            recent.RemoveAt(index);
        recent.Insert(0, (shape, plan));
        if (recent.Count > Capacity)
        {
            // Kernels queued by earlier calls may still read the evicted plan's buffers.
            accelerator.Synchronize();
            recent[^1].Plan.Dispose();
            recent.RemoveAt(recent.Count - 1);
        }
        return plan;
    }
}
