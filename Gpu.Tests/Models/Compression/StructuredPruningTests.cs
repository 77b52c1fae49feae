using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using Gpu.Ops.Image;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Models.Compression;

/// <summary>Structured pruning that removes channels (<see cref="ChannelRemoval"/>): each shipped
/// model, narrowed, runs and gives what the full-width model gives with the same channels zeroed
/// by hand (weights, bias and norm scale and shift), and its layers have the widths expected.</summary>
public sealed class StructuredPruningTests(string deviceName) : DeviceTest(deviceName)
{
    private const double Sparsity = 0.3;

    /// <summary>Removing a channel whose output is zero drops only zero products, so the two models
    /// differ only where kernels order their float32 sums differently over fewer channels.</summary>
    private const double ImageTolerance = 1e-4, LogitTolerance = 2e-3;

    private static ModelWeights Shipped(string name) => ModelWeights.Read(Path.Combine(AppContext.BaseDirectory, "Shipped", name + ".safetensors"));

    /// <summary>Every layer whose channels can be removed, at <see cref="Sparsity"/>.</summary>
    private static Dictionary<string, double> EveryLayer(ModelWeights weights)
        => ChannelGroup.Of(weights).ToDictionary(g => g.Producer, _ => Sparsity);

    /// <summary>The full-width model with the same channels made wholly zero: the producer's rows
    /// and, for each dropped channel, the per-channel tensors listed (bias, norm γ and β) that would
    /// otherwise give it a constant output.</summary>
    private static ModelWeights Zeroed(ModelWeights weights, IReadOnlyDictionary<string, double> sparsities, Func<string, string[]> shiftsOf)
    {
        var zeroed = weights;
        foreach (var (producer, sparsity) in sparsities)
        {
            long[] shape = [.. weights.ShapeOf(producer)];
            float[] values = weights.Float(producer, shape);
            bool[] kept = ChannelPruning.KeptChannels(values, (int)shape[0], sparsity);
            int perChannel = values.Length / kept.Length;
            for (int c = 0; c < kept.Length; c++)
                if (!kept[c])
                    Array.Clear(values, c * perChannel, perChannel);
            zeroed = zeroed.With(producer, values);
            foreach (string shift in shiftsOf(producer))
            {
                float[] perChannelValues = weights.Float(shift, kept.Length);
                for (int c = 0; c < kept.Length; c++)
                    if (!kept[c])
                        perChannelValues[c] = 0;
                zeroed = zeroed.With(shift, perChannelValues);
            }
        }
        return zeroed;
    }

    private static int KeptOf(int channels) => channels - (int)Math.Round(Sparsity * channels, MidpointRounding.AwayFromZero);

    [Test]
    public void NarrowedCanMatchesTheModelWithItsChannelsZeroed()
    {
        var weights = Shipped("fip-detail");
        var sparsities = EveryLayer(weights);
        var narrowed = CanWeights.Load(ChannelRemoval.Remove(weights, sparsities).ToWeights(weights.Metadata, "narrowed"));
        // CAN's adaptive norm is λx + μ·BN(x): with γ = β = 0 a zero channel stays zero through it and LeakyReLU.
        var zeroed = CanWeights.Load(Zeroed(weights, sparsities, producer => producer.StartsWith("layers.", StringComparison.Ordinal)
            ? [producer.Replace("conv.weight", "norm.bn.weight"), producer.Replace("conv.weight", "norm.bn.bias")] : []));
        var config = narrowed.Config;
        Assert.That(Enumerable.Range(0, 8).Select(config.WidthOf), Is.All.EqualTo(KeptOf(24)), "every 3×3 layer keeps 17 of 24 channels");
        Assert.That(config.InputsOf(8), Is.EqualTo(KeptOf(24)), "the 1×1 output layer reads the last layer's kept channels");
        Assert.That(narrowed.OutputWeights.Length, Is.EqualTo(3 * KeptOf(24)));
        Assert.That(config.MacsPerPixel, Is.LessThan(zeroed.Config.MacsPerPixel * 0.6));

        var shape = new ImageShape(2, 3, 23, 30);
        float[] input = ImageTestData.Random((int)shape.Length, seed: 7, low: 0f, high: 1f);
        foreach (var mode in new[] { NormalizationMode.Folded, NormalizationMode.BatchStatistics })
        {
            using var small = new ContextAggregationNetwork(Accelerator, narrowed, mode);
            using var full = new ContextAggregationNetwork(Accelerator, zeroed, mode);
            float[] actual = NetworkRuns.Can(Accelerator, small, input, shape, TensorLayout.RowMajor), expected = NetworkRuns.Can(Accelerator, full, input, shape, TensorLayout.RowMajor);
            Assert.That(small.Convolutions.Take(8).Select(c => c.Shape.OutChannels), Is.All.EqualTo(KeptOf(24)), "the layers that ran are narrower");
            ModelFixture.AssertClose(expected, actual, ImageTolerance, $"narrowed fip-detail, {mode}");
        }
    }

    [Test]
    public void NarrowedVdsrMatchesTheModelWithItsChannelsZeroed()
    {
        var weights = Shipped("vdsr-x2");
        var sparsities = EveryLayer(weights);
        var narrowed = VdsrWeights.Load(ChannelRemoval.Remove(weights, sparsities).ToWeights(weights.Metadata, "narrowed"));
        // VDSR has no biases: a channel of zero weights is zero after ReLU.
        var zeroed = VdsrWeights.Load(Zeroed(weights, sparsities, _ => []));
        Assert.That(narrowed.Widths, Is.All.EqualTo(KeptOf(VdsrWeights.Width)));
        Assert.That(narrowed.Widths, Has.Count.EqualTo(zeroed.Middle.Count + 1), "every layer but the output is narrowed");
        Assert.That(narrowed.Output.Length, Is.EqualTo(9 * KeptOf(VdsrWeights.Width)));

        var (n, h, w) = (1, 19, 24);
        using var luminance = Accelerator.Allocate<float>(ImageTestData.Random(n * h * w, seed: 8, low: 0f, high: 1f));
        using var expected = Accelerator.Allocate<float>(n * h * w);
        using var actual = Accelerator.Allocate<float>(n * h * w);
        using (var small = new VdsrNetwork(Accelerator, narrowed))
            small.Forward(luminance.View, actual.View, n, h, w);
        using (var full = new VdsrNetwork(Accelerator, zeroed))
            full.Forward(luminance.View, expected.View, n, h, w);
        ModelFixture.AssertClose(expected.ToArray(), actual.ToArray(), ImageTolerance, "narrowed vdsr-x2");
    }

    [Test]
    public void NarrowedCrnnMatchesTheModelWithItsChannelsZeroedAcrossTheLstmBoundary()
    {
        var weights = Shipped("crnn");
        var sparsities = EveryLayer(weights);
        var narrowed = CrnnWeights.Load(ChannelRemoval.Remove(weights, sparsities).ToWeights(weights.Metadata, "narrowed"));
        // A convolution's channel is zero after ReLU without its bias and, where it has one, the batch norm's γ and β; the linear layer's without its bias.
        var zeroed = CrnnWeights.Load(Zeroed(weights, sparsities, producer =>
        {
            if (producer == "rnn.0.embedding.weight")
                return ["rnn.0.embedding.bias"];
            int i = producer["cnn.conv".Length] - '0';
            return CrnnWeights.BatchNormLayers.Contains(i) ? [$"cnn.conv{i}.bias", $"cnn.batchnorm{i}.weight", $"cnn.batchnorm{i}.bias"] : [$"cnn.conv{i}.bias"];
        }));
        Assert.That(narrowed.Convolutions.Select(c => c.OutChannels), Is.EqualTo(zeroed.Convolutions.Select(c => KeptOf(c.OutChannels))));
        Assert.That(narrowed.Convolutions.Skip(1).Select(c => c.InChannels), Is.EqualTo(narrowed.Convolutions.SkipLast(1).Select(c => c.OutChannels)));
        Assert.That(narrowed.Recurrent[0].InputSize, Is.EqualTo(narrowed.Convolutions[^1].OutChannels), "the first LSTM's input weights lost the last convolution's removed channels");
        Assert.That(narrowed.Recurrent[0].OutputSize, Is.EqualTo(KeptOf(zeroed.Recurrent[0].OutputSize)));
        Assert.That(narrowed.Recurrent[1].InputSize, Is.EqualTo(narrowed.Recurrent[0].OutputSize), "the second LSTM's input weights lost the linear layer's removed outputs");
        Assert.That(narrowed.Classes, Is.EqualTo(zeroed.Classes), "the classes are never pruned");

        using var small = new CrnnNetwork(Accelerator, narrowed);
        using var full = new CrnnNetwork(Accelerator, zeroed);
        ModelFixture.AssertClose(NetworkRuns.CrnnLogits(Accelerator, full), NetworkRuns.CrnnLogits(Accelerator, small), LogitTolerance, "narrowed crnn");
    }

    [Test]
    public void AStructurallyPrunedGpucFileRunsNarrowOnItsCompressedRoutes()
    {
        var weights = Shipped("fip-detail");
        var plan = ModelCompressor.Compressible(weights).ToDictionary(name => name, name => new TensorPlan(name == "output.weight" ? 0 : Sparsity, 6, PruningGranularity.Channels));
        string path = Path.Combine(Path.GetTempPath(), $"structured-{Guid.NewGuid():N}.gpuc");
        try
        {
            GpucFile.Write(path, ModelCompressor.Compress(weights, plan));
            var read = GpucFile.Read(path);
            Assert.That(read.Tensors.Where(t => t.ChannelSelection is not null).Select(t => t.Name), Is.EqualTo(Enumerable.Range(0, 8).Select(i => $"layers.{i}.conv.weight")));
            Assert.That(read.Tensors.Single(t => t.Name == "layers.3.conv.weight").ChannelSelection!.Kept,
                Is.EqualTo(Enumerable.Range(0, 24).Where(c => ChannelPruning.KeptChannels(weights.Float("layers.3.conv.weight", 24, 24, 3, 3), 24, Sparsity)[c])));
            var loaded = CanWeights.Load(ModelWeights.Read(path));
            var shape = new ImageShape(1, 3, 21, 26);
            float[] input = ImageTestData.Random((int)shape.Length, seed: 9, low: 0f, high: 1f);
            using var codebook = new ContextAggregationNetwork(Accelerator, loaded, routing: LayerRouting.Codebook);
            float[] actual = NetworkRuns.Can(Accelerator, codebook, input, shape, TensorLayout.RowMajor);
            using var dense = new ContextAggregationNetwork(Accelerator, loaded);
            ModelFixture.AssertClose(NetworkRuns.Can(Accelerator, dense, input, shape, TensorLayout.RowMajor), actual, CompressedModels.ExactRouteTolerance, "narrowed fip-detail via codebook");
            Assert.That(codebook.Convolutions.Take(8).Select(c => (c.Route, c.Shape.OutChannels)), Is.All.EqualTo((ConvRoute.Codebook, KeptOf(24))));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
