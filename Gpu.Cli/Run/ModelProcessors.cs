using Gpu.Core;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using ILGPU;

namespace Gpu.Cli.Run;

/// <summary>An image model on one device as a stage of the frame pipeline: each batch of planar
/// RGB frames is uploaded, run, and downloaded. Device buffers are kept while the batch shape
/// repeats, so a video allocates nothing per frame.</summary>
internal abstract class ModelProcessor(Accelerator accelerator) : IFrameProcessor, IDisposable
{
    private DeviceBuffer<float>? input, output;

    protected Accelerator Accelerator { get; } = accelerator;

    public string Name => Accelerator.Device.Name;

    public FrameBatch Process(FrameBatch batch, FrameBatchPool pool, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var shape = new ImageShape(batch.Count, FrameFormat.Channels, batch.Format.Size.Height, batch.Format.Size.Width);
        var result = OutputFor(batch, pool);
        var inputView = Buffer(ref input, batch.Length);
        var outputView = Buffer(ref output, result.Length);
        input!.CopyFromHost(batch.Pixels);
        Run(inputView, outputView, shape);
        output!.CopyToHost(result.Pixels);
        return result;
    }

    /// <summary>The batch the results go to: the input itself where the size stays.</summary>
    protected abstract FrameBatch OutputFor(FrameBatch batch, FrameBatchPool pool);

    /// <summary>Runs the model on N × 3 × H × W planar frames.</summary>
    protected abstract void Run(ArrayView<float> input, ArrayView<float> output, ImageShape shape);

    private ArrayView<float> Buffer(ref DeviceBuffer<float>? buffer, int length)
    {
        if (buffer is null || buffer.Length != length)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = Accelerator.Allocate<float>(length);
        }
        return buffer.View;
    }

    public virtual void Dispose()
    {
        input?.Dispose();
        output?.Dispose();
    }
}

/// <summary>A FIP network: frames in, frames of the same size out.</summary>
internal sealed class CanProcessor(Accelerator accelerator, CanWeights weights, NormalizationMode mode, LayerRouting routing) : ModelProcessor(accelerator)
{
    private readonly ContextAggregationNetwork network = new(accelerator, weights, mode, routing);

    protected override FrameBatch OutputFor(FrameBatch batch, FrameBatchPool pool) => batch;

    protected override void Run(ArrayView<float> input, ArrayView<float> output, ImageShape shape) => network.Forward(input, output, shape, TensorLayout.RowMajor);

    public override void Dispose()
    {
        network.Dispose();
        base.Dispose();
    }
}

/// <summary>VDSR: frames in, frames <see cref="Scale"/> times as wide and high out.</summary>
internal sealed class VdsrProcessor(Accelerator accelerator, VdsrWeights weights, int scale, LayerRouting routing) : ModelProcessor(accelerator)
{
    private readonly VdsrNetwork network = new(accelerator, weights, routing);

    public int Scale { get; } = scale;

    protected override FrameBatch OutputFor(FrameBatch batch, FrameBatchPool pool)
        => pool.Rent(batch.Format with { Size = new FrameSize(checked(batch.Format.Size.Width * Scale), checked(batch.Format.Size.Height * Scale)) }, batch.Count);

    protected override void Run(ArrayView<float> input, ArrayView<float> output, ImageShape shape) => network.Upscale(input, output, shape, Scale, TensorLayout.RowMajor);

    public override void Dispose()
    {
        network.Dispose();
        base.Dispose();
    }
}
