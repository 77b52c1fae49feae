using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Safetensors;

namespace Gpu.Tests.Models.Compression;

/// <summary>The compressor's options beyond weight sharing: structured (output-channel) pruning and
/// its codec, int8 per output channel through a plan, and the quality budget.</summary>
public sealed class CompressionOptionsTests
{
    private static float[] Weights(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    [Test]
    public void ChannelPruningDropsTheChannelsOfSmallestL1Norm()
    {
        // Channel c holds 4 weights whose L1 norm is known: norms 4, 2, 1.5, 4, 1, so channels 4 and 2 go first, though channel 2 holds a larger weight than channel 1.
        float[] w = [1, -1, 1, -1, /**/ 0.5f, 0.5f, 0.5f, 0.5f, /**/ 1.5f, 0, 0, 0, /**/ -3, 0, 0, 1, /**/ 0.25f, -0.25f, 0.25f, -0.25f];
        Assert.That(ChannelPruning.KeptChannels(w, 5, 0.4), Is.EqualTo(new[] { true, true, false, true, false }));
        Assert.That(ChannelPruning.KeptChannels(w, 5, 0), Is.All.True);
        Assert.That(ChannelPruning.KeptChannels(w, 5, 1), Is.All.False);
        // Ties go by channel index: the earlier of two equal norms is dropped first.
        Assert.That(ChannelPruning.KeptChannels([1, 1, 1, 1], 4, 0.5), Is.EqualTo(new[] { false, false, true, true }));
        Assert.Throws<ArgumentException>(() => ChannelPruning.KeptChannels(w, 3, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelPruning.KeptChannels(w, 5, 1.5));
    }

    [Test]
    public void ChannelRemovalNarrowsOnlyRemovableLayersAndTheSweepMeasuresTheNarrowerModel()
    {
        var weights = ModelWeights.Read(Path.Combine(AppContext.BaseDirectory, "Shipped", "fip-detail.safetensors"));
        Assert.That(ChannelGroup.Of(weights).Select(g => g.Producer), Is.EqualTo(Enumerable.Range(0, 8).Select(i => $"layers.{i}.conv.weight")), "the 1×1 output layer is never pruned");
        var removeOutput = Assert.Throws<ArgumentException>(() => ChannelRemoval.Remove(weights, new Dictionary<string, double> { ["output.weight"] = 0.5 }))!;
        Assert.That(removeOutput.Message, Does.Contain("output.weight"));
        var removeAll = Assert.Throws<ArgumentException>(() => ChannelRemoval.Remove(weights, new Dictionary<string, double> { ["layers.2.conv.weight"] = 1 }))!;
        Assert.That(removeAll.Message, Does.Contain("all 24"));

        var shrunk = ChannelRemoval.Remove(weights, new Dictionary<string, double> { ["layers.2.conv.weight"] = 0.25 });
        var shapes = shrunk.Tensors.ToDictionary(t => t.Name, t => t.Shape);
        Assert.That(shapes["layers.2.conv.weight"], Is.EqualTo(new long[] { 18, 24, 3, 3 }));
        Assert.That(shapes["layers.2.norm.bn.running_var"], Is.EqualTo(new long[] { 18 }));
        Assert.That(shapes["layers.3.conv.weight"], Is.EqualTo(new long[] { 24, 18, 3, 3 }));
        Assert.That(shapes["layers.1.conv.weight"], Is.EqualTo(new long[] { 24, 24, 3, 3 }), "other layers keep their shape");
        // Weight (7, 3) of the narrowed layer 3 is weight (7, the fourth kept channel) of the original.
        int fourth = shrunk.Selections["layers.2.conv.weight"].Kept[3];
        float[] original = weights.Float("layers.3.conv.weight", 24, 24, 3, 3), narrowed = shrunk.Tensors.Single(t => t.Name == "layers.3.conv.weight").Values;
        Assert.That(narrowed.AsSpan((7 * 18 + 3) * 9, 9).ToArray(), Is.EqualTo(original.AsSpan((7 * 24 + fourth) * 9, 9).ToArray()));

        // The sweep hands the quality measure the narrower model: here the "quality" is the layer's width.
        var sweep = SensitivityAnalysis.Sweep(weights, ["layers.4.conv.weight"], [0.25, 0.5], w => w.ShapeOf("layers.4.conv.weight")[0] + w.ShapeOf("layers.5.conv.weight")[1],
            PruningGranularity.Channels);
        Assert.That(sweep.Select(p => p.Quality), Is.EqualTo(new double[] { 36, 24 }));
    }

    [Test]
    public void ChannelPrunedTensorsRoundTripInEveryInnerCodec()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 40; trial++)
        {
            int channels = random.Next(1, 40), perChannel = random.Next(1, 30);
            long[] shape = [channels, perChannel];
            float[] w = Weights(channels * perChannel, trial);
            double sparsity = random.Next(0, 5) / 4.0;
            foreach (var quantization in new[] { ValueQuantization.Shared, ValueQuantization.Int8 })
            {
                var plan = new TensorPlan(sparsity, random.Next(2, 9), PruningGranularity.Channels, quantization);
                var tensor = ModelCompressor.Compress("w", shape, w, plan);
                float[] decoded = tensor.Decode();
                bool[] kept = ChannelPruning.KeptChannels(w, channels, sparsity);
                // The independent expectation: the kept channels compressed on their own, the others zero.
                float[] compact = [.. Enumerable.Range(0, channels).Where(c => kept[c]).SelectMany(c => w.Skip(c * perChannel).Take(perChannel))];
                long[] compactShape = [kept.Count(k => k), perChannel];
                float[] expectedKept = compact.Length == 0 ? []
                    : quantization == ValueQuantization.Int8 ? CompressedTensor.Int8("w", compactShape, compact).Decode()
                    : CompressedTensor.Shared("w", compactShape, compact, plan.Bits).Decode();
                int next = 0;
                for (int c = 0; c < channels; c++)
                {
                    var channel = decoded.AsSpan(c * perChannel, perChannel).ToArray();
                    if (kept[c])
                        Assert.That(channel, Is.EqualTo(expectedKept.AsSpan(next++ * perChannel, perChannel).ToArray()), $"trial {trial} channel {c}");
                    else
                        Assert.That(channel, Is.All.EqualTo(0f), $"trial {trial} channel {c}");
                }
                if (sparsity > 0)
                {
                    Assert.That(tensor.Codec, Is.EqualTo(TensorCodec.ChannelPruned));
                    Assert.That(tensor.KeptChannels(), Is.EqualTo(kept));
                }
            }
        }
    }

    [Test]
    public void Int8IsChosenByThePlanAndRefusedWithSingleWeightsPruned()
    {
        float[] w = Weights(8 * 9, 5);
        var int8 = ModelCompressor.Compress("w", [8, 9], w, new TensorPlan(0, 5, Quantization: ValueQuantization.Int8));
        Assert.That(int8.Codec, Is.EqualTo(TensorCodec.Int8));
        Assert.That(int8.Decode(), Is.EqualTo(CompressedTensor.Int8("w", [8, 9], w).Decode()));
        Assert.That(int8.ValueBits, Is.EqualTo(8));
        var error = Assert.Throws<ArgumentException>(() => ModelCompressor.Compress("w", [8, 9], w, new TensorPlan(0.5, 5, Quantization: ValueQuantization.Int8)));
        Assert.That(error!.Message, Does.Contain("int8 stores every weight"));
    }

    [Test]
    public void MalformedChannelPrunedPayloadsAreRefused()
    {
        float[] w = Weights(10 * 6, 9);
        var tensor = ModelCompressor.Compress("w", [10, 6], w, new TensorPlan(0.3, 4, PruningGranularity.Channels));
        Assert.That(tensor.ValueBits, Is.EqualTo(4));
        Assert.That(Message(tensor with { Shape = [12, 5] }), Does.Contain("10 channels"));
        byte[] pastLast = (byte[])tensor.Payload.Clone();
        pastLast[5] |= 0x80;
        Assert.That(Message(tensor with { Payload = pastLast }), Does.Contain("past the last channel"));
        byte[] nested = (byte[])tensor.Payload.Clone();
        nested[6] = (byte)TensorCodec.ChannelPruned;
        Assert.That(Message(tensor with { Payload = nested }), Does.Contain("unknown or nested"));
        byte[] unknown = (byte[])tensor.Payload.Clone();
        unknown[6] = 200;
        Assert.That(Message(tensor with { Payload = unknown }), Does.Contain("unknown or nested"));
        Assert.That(Message(tensor with { Payload = tensor.Payload[..5] }), Does.Contain("short"));
        Assert.Throws<ArgumentException>(() => CompressedTensor.ChannelPruned("w", [10, 6], new bool[10], CompressedTensor.Raw("w", [1, 6], new float[6])));

        static string Message(CompressedTensor tensor) => Assert.Throws<InvalidDataException>(() => tensor.Decode())!.Message;
    }

    [Test]
    public void BudgetsParseAndTurnIntoTheFloorOfUncorrelatedErrors()
    {
        Assert.That(QualityBudget.Parse("0.5dB"), Is.EqualTo(new QualityBudget(0.5, BudgetUnit.Decibels)));
        Assert.That(QualityBudget.Parse(" 1.5 dB"), Is.EqualTo(new QualityBudget(1.5, BudgetUnit.Decibels)));
        Assert.That(QualityBudget.Parse("1%"), Is.EqualTo(new QualityBudget(1, BudgetUnit.PercentagePoints)));
        Assert.That(QualityBudget.Parse("2pp"), Is.EqualTo(new QualityBudget(2, BudgetUnit.PercentagePoints)));
        foreach (string bad in new[] { "0.5", "-1dB", "0dB", "xdB", "", "NaN%", "Infinity dB" })
            Assert.Throws<FormatException>(() => QualityBudget.Parse(bad), bad);

        // Independently: a model at 32 dB has MSE 10^-3.2; the floor's compression MSE added to it must land exactly 0.5 dB lower.
        double floor = QualityBudget.Parse("0.5dB").FidelityFloor(32);
        double total = Math.Pow(10, -3.2) + Math.Pow(10, -floor / 10);
        Assert.That(-10 * Math.Log10(total), Is.EqualTo(31.5).Within(1e-9));
        Assert.That(floor, Is.EqualTo(41.14).Within(0.01));
        Assert.Throws<InvalidOperationException>(() => QualityBudget.Parse("1%").FidelityFloor(32));
    }

    [Test]
    public void TheScheduleSpendsTheSlackOnTheLeastSensitiveTensor()
    {
        // Quality is minus the zero share of "a" plus three times that of "b": "b" is three times as sensitive.
        var tensors = new Dictionary<string, SafetensorsTensor>
        {
            ["a"] = SafetensorsFile.Tensor<float>("a", Weights(1000, 1), 10, 100),
            ["b"] = SafetensorsFile.Tensor<float>("b", Weights(1000, 2), 10, 100),
        };
        var weights = new ModelWeights(tensors, new Dictionary<string, string>(), "synthetic");
        double Quality(ModelWeights w) => -(Zeros(w, "a") + 3 * Zeros(w, "b"));
        var sweep = SensitivityAnalysis.Sweep(weights, ["a", "b"], SensitivityAnalysis.DefaultSparsities, Quality);
        Assert.That(sweep.Single(p => p.Tensor == "b" && p.Sparsity == 0.5).Quality, Is.EqualTo(-1.5).Within(1e-12));

        // Alone, "a" may take 0.2 and "b" nothing; the model floor -1.05 then leaves room that, worked by
        // hand, goes a 0.3, b 0.1, a 0.5, (b 0.2 fails: -1.1), a 0.7, (a 0.8 fails: -1.1).
        var (plan, reached) = SensitivityAnalysis.Schedule(weights, sweep, -0.2, -1.05, new TensorPlan(0, 8), Quality);
        Assert.That(plan["a"].Sparsity, Is.EqualTo(0.7));
        Assert.That(plan["b"].Sparsity, Is.EqualTo(0.1));
        Assert.That(reached, Is.EqualTo(-1.0).Within(1e-12));

        static double Zeros(ModelWeights w, string name) => w.Float(name, 10, 100).Count(v => v == 0) / 1000.0;
    }
}
