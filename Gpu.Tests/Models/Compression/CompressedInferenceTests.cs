using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using Gpu.Ops;
using Gpu.Ops.Image;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Models.Compression;

/// <summary>The shipped models compressed in memory run through the sparse, codebook and int8
/// routes built from their stored tensors, and agree with the same model decoded to dense float32
/// (the reference route); each test also checks that the route it asked for is the one that ran.</summary>
public sealed class CompressedInferenceTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Sparse)]
    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Shared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Int8, LayerRouting.Int8)]
    public void CanOnACompressedRouteMatchesTheDecodedModel(CompressedStorage storage, LayerRouting routing)
    {
        var weights = CanWeights.Load(CompressedModels.Load("fip-detail", storage));
        var shape = new ImageShape(2, 3, 23, 30);
        float[] input = ImageTestData.Random((int)shape.Length, seed: 3, low: 0f, high: 1f);
        using var routed = new ContextAggregationNetwork(Accelerator, weights, routing: routing);
        var actual = new[] { TensorLayout.RowMajor, TensorLayout.Nhwc }.ToDictionary(layout => layout, layout => NetworkRuns.Can(Accelerator, routed, input, shape, layout));
        Assert.That(weights.Layers.Select(l => l.Weights.IsMaterialized), Is.All.False, "the routed 3×3 layers ran without their dense weights");
        using var reference = new ContextAggregationNetwork(Accelerator, weights);
        float[] expected = NetworkRuns.Can(Accelerator, reference, input, shape, TensorLayout.RowMajor);
        Assert.That(weights.Layers.Select(l => l.Weights.IsMaterialized), Is.All.True, "the dense reference decoded them");
        foreach (var (layout, output) in actual)
            ModelFixture.AssertClose(expected, output, routing == LayerRouting.Int8 ? CompressedModels.Int8RouteTolerance : CompressedModels.ExactRouteTolerance, $"fip-detail {storage} via {routing}, {layout}");
        Assert.That(reference.Convolutions.Select(c => c.Route), Is.All.EqualTo(ConvRoute.Dense), "the reference");
        // The eight 3×3 layers are compressed; the 72 weights of the 1×1 output layer are stored raw, so it runs dense.
        Assert.That(routed.Convolutions.Take(8).Select(c => c.Route), Is.All.EqualTo(CompressedModels.Route(routing)), "the 3×3 layers");
        Assert.That(routed.Convolutions[^1].Route, Is.EqualTo(ConvRoute.Dense), "the raw 1×1 layer");
    }

    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Sparse)]
    [TestCase(CompressedStorage.Shared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Int8, LayerRouting.Int8)]
    public void VdsrOnACompressedRouteMatchesTheDecodedModelWithItsResidual(CompressedStorage storage, LayerRouting routing)
    {
        var weights = VdsrWeights.Load(CompressedModels.Load("vdsr-x2", storage));
        var (n, h, w) = (2, 17, 22);
        using var luminance = Accelerator.Allocate<float>(ImageTestData.Random(n * h * w, seed: 4, low: 0f, high: 1f));
        using var expected = Accelerator.Allocate<float>(n * h * w);
        using var actual = Accelerator.Allocate<float>(n * h * w);
        using var routed = new VdsrNetwork(Accelerator, weights, routing);
        routed.Forward(luminance.View, actual.View, n, h, w);
        WeightValues[] convolutions = [weights.Input, .. weights.Middle, weights.Output];
        Assert.That(convolutions.Select(c => c.IsMaterialized), Is.All.False, "the routed layers ran without their dense weights");
        using var reference = new VdsrNetwork(Accelerator, weights);
        reference.Forward(luminance.View, expected.View, n, h, w);
        Assert.That(convolutions.Select(c => c.IsMaterialized), Is.All.True, "the dense reference decoded them");
        ModelFixture.AssertClose(expected.ToArray(), actual.ToArray(), routing == LayerRouting.Int8 ? CompressedModels.Int8RouteTolerance : CompressedModels.ExactRouteTolerance, $"vdsr-x2 {storage} via {routing}");
        // Every layer, the residual-fused last one included, is compressed and runs the route asked for.
        Assert.That(routed.Convolutions.Select(c => c.Route), Is.All.EqualTo(CompressedModels.Route(routing)));
        Assert.That(routed.Convolutions, Has.Count.EqualTo(weights.Depth));
    }

    [Test]
    public void MeasuredRoutingTimesEachExactRouteAndKeepsTheFastest()
    {
        var weights = CanWeights.Load(CompressedModels.Load("fip-detail", CompressedStorage.PrunedAndShared));
        var shape = new ImageShape(1, 3, 20, 26);
        float[] input = ImageTestData.Random((int)shape.Length, seed: 5, low: 0f, high: 1f);
        using var measured = new ContextAggregationNetwork(Accelerator, weights, routing: LayerRouting.Measured);
        float[] actual = NetworkRuns.Can(Accelerator, measured, input, shape, TensorLayout.RowMajor);
        Assert.That(weights.Layers.Select(l => l.Weights.IsMaterialized), Is.All.True, "timing the dense route decoded each layer");
        using var reference = new ContextAggregationNetwork(Accelerator, weights);
        ModelFixture.AssertClose(NetworkRuns.Can(Accelerator, reference, input, shape, TensorLayout.RowMajor), actual, CompressedModels.ExactRouteTolerance, "fip-detail measured");
        foreach (var layer in measured.Convolutions.Take(8))
        {
            Assert.That(layer.MeasuredMilliseconds.Keys, Is.EquivalentTo(new[] { ConvRoute.Dense, ConvRoute.Sparse, ConvRoute.Codebook }), "every exact route was timed");
            Assert.That(layer.Route, Is.EqualTo(layer.MeasuredMilliseconds.MinBy(pair => pair.Value).Key), "the fastest was kept");
        }
        Assert.That(measured.Convolutions[^1].MeasuredMilliseconds, Is.Empty, "a raw layer has one route, so nothing to time");
    }

    [Test]
    public void ACompressedRouteComputesFromTheStoredTensorNotTheDenseFloats()
    {
        var shape = Conv2dShape.Same(1, 8, 9, 11, 12, 3, dilation: 2);
        float[] values = ImageTestData.Random((int)shape.WeightLength, seed: 6, low: -0.5f, high: 0.5f);
        bool[] keep = MagnitudePruning.MaskBySparsity(values, 0.8);
        var stored = CompressedTensor.SparseShared("w", [12, 8, 3, 3], values, keep, valueBits: 4, gapBits: 4);
        var epilogue = new Conv2dEpilogue(Bias: Filled(12, 0.1f), Scale: Filled(12, -1.5f), Activation: Activation.Leaky(0.2f));
        using var scratch = new ConvScratch(Accelerator);
        using var input = Accelerator.Allocate<float>(ImageTestData.Random((int)shape.InputLength, seed: 7, low: -1f, high: 1f));
        using var expected = Accelerator.Allocate<float>(shape.OutputLength);
        using var actual = Accelerator.Allocate<float>(shape.OutputLength);
        using (var decoded = new Conv2d(Accelerator, shape, stored.Decode(), epilogue))
            decoded.Forward(input.View, expected.View, TensorLayout.RowMajor);
        // The dense floats handed over are all zero: only the stored tensor can give the expected output.
        using var sparse = new RoutedConv2d(Accelerator, shape, new float[shape.WeightLength], epilogue, stored, LayerRouting.Sparse, TensorLayout.RowMajor, scratch);
        Assert.That(sparse.Route, Is.EqualTo(ConvRoute.Sparse));
        sparse.Forward(input.View, actual.View, TensorLayout.RowMajor);
        ModelFixture.AssertClose(expected.ToArray(), actual.ToArray(), 1e-5, "sparse layer from the stored tensor");
        Assert.That(expected.ToArray().Any(v => Math.Abs(v - 0.1f * -1.5f) > 1e-3), "the layer's output must depend on its weights, or the test shows nothing");
    }

    [Test]
    public void MalformedCombinationsAreRefusedClearly()
    {
        using var scratch = new ConvScratch(Accelerator);
        var shape = Conv2dShape.Same(1, 4, 6, 6, 8, 3);
        float[] values = ImageTestData.Random((int)shape.WeightLength, seed: 8, low: -1f, high: 1f);

        var misshapen = CompressedTensor.Shared("layers.0.conv.weight", [8, 4, 1, 9], values, 4);
        var shapeError = Assert.Throws<ArgumentException>(() => new RoutedConv2d(Accelerator, shape, values, null, misshapen, LayerRouting.Codebook, TensorLayout.RowMajor, scratch))!;
        Assert.That(shapeError.Message, Does.Contain("layers.0.conv.weight").And.Contain("[8, 4, 3, 3]"));

        var shared = CompressedTensor.Shared("w", [8, 4, 3, 3], values, 4);
        Assert.That(() => shared.DecodeSparse(), Throws.InvalidOperationException.With.Message.Contain("Shared"));
        Assert.That(() => shared.DecodeInt8(), Throws.InvalidOperationException.With.Message.Contain("not Int8"));
        Assert.That(RoutedConv2d.RoutesFor(shared, shape), Is.EqualTo(new[] { ConvRoute.Dense, ConvRoute.Codebook }), "a shared tensor has no sparse route");

        // Symmetric int8 stops at −127; a file holding −128 is refused when its int8 layer is built.
        var int8 = CompressedTensor.Int8("w", [8, 4, 3, 3], values);
        byte[] payload = [.. int8.Payload];
        payload[4 + 4 * 8] = 0x80;
        var outOfRange = int8 with { Payload = payload };
        Assert.That(() => new RoutedConv2d(Accelerator, shape, values, null, outOfRange, LayerRouting.Int8, TensorLayout.RowMajor, scratch),
            Throws.ArgumentException.With.Message.Contain("−128"));

        var truncated = shared with { Payload = shared.Payload[..10] };
        Assert.That(() => new RoutedConv2d(Accelerator, shape, values, null, truncated, LayerRouting.Codebook, TensorLayout.RowMajor, scratch),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("'w'"));
        Assert.That(() => new RoutedConv2d(Accelerator, shape, values, null, shared, (LayerRouting)99, TensorLayout.RowMajor, scratch),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private static float[] Filled(int length, float value) => Enumerable.Repeat(value, length).ToArray();
}
