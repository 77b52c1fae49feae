using System.Runtime.CompilerServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The shape of a <see cref="BicubicResizeSeparable"/> call that its tap tables depend on.</summary>
internal readonly record struct BicubicPlanShape(TensorLayout Layout, int Channels, int Height, int Width, int OutHeight, int OutWidth);

/// <summary>Both axes' <see cref="BicubicTaps"/> tables of one shape on the device, computed and uploaded
/// once and kept between calls: an upload waits for the launches queued before it, so a call that
/// uploaded its tables would wait for the previous call's passes.</summary>
internal sealed class BicubicPlan : IDisposable
{
    private readonly DeviceBuffer<int> offsets;
    private readonly DeviceBuffer<float> weights;

    /// <summary>Computes and uploads the tables of <paramref name="shape"/>.</summary>
    public BicubicPlan(Accelerator accelerator, BicubicPlanShape shape)
    {
        int pixel = ImageStrides.Of(shape.Layout, shape.Channels, shape.Height, shape.Width).Column;
        var columns = new BicubicTaps((float)shape.Width / shape.OutWidth, shape.OutWidth, shape.Width, pixel, lanes: pixel);
        var rows = new BicubicTaps((float)shape.Height / shape.OutHeight, shape.OutHeight, shape.Height, 1, lanes: 1);
        offsets = accelerator.Allocate<int>([.. columns.Offset, .. rows.Offset]);
        try
        {
            weights = accelerator.Allocate<float>([.. columns.Weight, .. rows.Weight]);
        }
        catch
        {
            // A plan that failed is never kept, so nothing else would free the offsets before the accelerator.
            offsets.Dispose();
            throw;
        }
        ColumnOffsets = offsets.View.SubView(0, columns.Offset.Length);
        RowOffsets = offsets.View.SubView(columns.Offset.Length);
        ColumnWeights = weights.View.SubView(0, columns.Weight.Length);
        RowWeights = weights.View.SubView(columns.Weight.Length);
    }

    /// <summary>The horizontal taps, for <see cref="BicubicColumnPassKernel"/>.</summary>
    public ArrayView<int> ColumnOffsets { get; }

    /// <summary>The vertical taps' source rows, for <see cref="BicubicRowPassKernel"/>.</summary>
    public ArrayView<int> RowOffsets { get; }

    /// <summary>The horizontal taps' weights.</summary>
    public ArrayView<float> ColumnWeights { get; }

    /// <summary>The vertical taps' weights.</summary>
    public ArrayView<float> RowWeights { get; }

    /// <summary>Frees the tables; the caller makes sure no queued kernel still reads them.</summary>
    public void Dispose()
    {
        offsets.Dispose();
        weights.Dispose();
    }
}

/// <summary>The <see cref="BicubicPlan"/>s of one accelerator, for the few shapes used last, kept as long
/// as the accelerator lives (disposing it frees their buffers with its others).</summary>
internal sealed class BicubicPlans
{
    /// <summary>Shapes kept per accelerator: enough for a pipeline's down- and upscaling in both layouts
    /// without one evicting another each frame; a plan holds two small tables.</summary>
    internal const int Capacity = 8;

    private static readonly ConditionalWeakTable<Accelerator, BicubicPlans> ofAccelerator = new();

    private readonly Accelerator accelerator;
    private readonly Lock gate = new();
    // Most recently used first.
    private readonly List<(BicubicPlanShape Shape, BicubicPlan Plan)> recent = new(Capacity);

    private BicubicPlans(Accelerator accelerator) => this.accelerator = accelerator;

    /// <summary>The plans of <paramref name="accelerator"/>, created on first use.</summary>
    public static BicubicPlans Of(Accelerator accelerator) => ofAccelerator.GetValue(accelerator, owner => new BicubicPlans(owner));

    /// <summary>The plan of <paramref name="shape"/>, made if none is kept.</summary>
    public BicubicPlan For(BicubicPlanShape shape)
    {
        lock (gate)
        {
            int index = recent.FindIndex(entry => entry.Shape == shape);
            if (index == 0)
                return recent[0].Plan;
            var plan = index > 0 ? recent[index].Plan : new BicubicPlan(accelerator, shape);
            if (index > 0)
                recent.RemoveAt(index);
            recent.Insert(0, (shape, plan));
            if (recent.Count > Capacity)
            {
                // Kernels queued by earlier calls may still read the evicted plan's tables.
                accelerator.Synchronize();
                recent[^1].Plan.Dispose();
                recent.RemoveAt(recent.Count - 1);
            }
            return plan;
        }
    }
}
