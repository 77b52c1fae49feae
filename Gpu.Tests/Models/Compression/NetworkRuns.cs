using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Models.Compression;

/// <summary>One forward pass of a network on host data, as the compression tests compare them.</summary>
internal static class NetworkRuns
{
    /// <summary>A CAN's output for row-major (NCHW) <paramref name="nchw"/>, run in <paramref name="layout"/> and returned row-major.</summary>
    public static float[] Can(Accelerator accelerator, ContextAggregationNetwork network, float[] nchw, ImageShape shape, TensorLayout layout)
    {
        int outputs = network.Weights.Config.OutputChannels;
        using var input = accelerator.Allocate<float>(layout == TensorLayout.RowMajor ? nchw : ImageTestData.ToNhwc(nchw, shape.Batch, shape.Channels, shape.Height, shape.Width));
        using var output = accelerator.Allocate<float>(shape.WithChannels(outputs).Length);
        network.Forward(input.View, output.View, shape, layout);
        return layout == TensorLayout.RowMajor ? output.ToArray() : ImageTestData.ToNchw(output.ToArray(), shape.Batch, outputs, shape.Height, shape.Width);
    }

    /// <summary>CRNN's logits for a batch of two 37-pixel lines (an odd width, so the pools' edges count) of random grey values.</summary>
    public static float[] CrnnLogits(Accelerator accelerator, CrnnNetwork network)
    {
        const int batch = 2, width = 37;
        using var images = accelerator.Allocate<float>(ImageTestData.Random(batch * CrnnNetwork.Height * width, seed: 25, low: -1f, high: 1f));
        using var logits = accelerator.Allocate<float>((long)CrnnNetwork.StepsFor(width) * batch * network.Weights.Classes);
        network.Forward(images.View, batch, width, logits.View);
        return logits.ToArray();
    }
}
