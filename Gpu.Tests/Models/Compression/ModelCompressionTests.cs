using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;

namespace Gpu.Tests.Models.Compression;

/// <summary>Deep Compression of the shipped FIP model end to end on the CPU: the fidelity measure, a
/// sensitivity schedule that must meet its floor, and a written .gpuc that loads to exactly the
/// weights the schedule measured.</summary>
public sealed class ModelCompressionTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "Shipped", "fip-detail.safetensors");

    private static (ImageShape, float[]) Calibration()
    {
        // A smooth colour ramp with an edge: the network's response to both matters.
        var shape = new ImageShape(1, 3, 40, 48);
        var pixels = new float[shape.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 48; x++)
                    pixels[(c * 40 + y) * 48 + x] = ((x + 2 * y + 7 * c) % 48) / 48f * (x > 24 ? 1f : 0.5f);
        return (shape, pixels);
    }

    [Test]
    public void ASensitivityScheduleMeetsItsFloorAndTheFileHoldsIt()
    {
        var weights = ModelWeights.Read(Shipped);
        using var accelerator = Devices.Open("cpu");
        var fidelity = new ImageModelFidelity(accelerator, weights, [Calibration()]);
        Assert.That(fidelity.Psnr(weights), Is.EqualTo(double.PositiveInfinity), "the original against itself");

        var layers = ModelCompressor.Compressible(weights);
        Assert.That(layers, Has.Count.EqualTo(8), "the eight 3×3 convolutions; the 72 weights of the 1×1 output stay raw");
        // 8-bit sharing alone stays far above the floor, so the schedule has room to prune.
        const double floor = 45;
        var sweep = SensitivityAnalysis.Sweep(weights, layers, [0.5, 0.9], fidelity.Psnr);
        Assert.That(sweep, Has.Count.EqualTo(16));
        var (plan, reached) = SensitivityAnalysis.Schedule(weights, sweep, floor + 10 * Math.Log10(layers.Count), floor, new TensorPlan(0, 8), fidelity.Psnr);
        Assert.That(reached, Is.GreaterThanOrEqualTo(floor));

        string path = Path.Combine(Path.GetTempPath(), $"schedule-{Environment.ProcessId}.gpuc");
        try
        {
            var compressed = ModelCompressor.Compress(weights, plan);
            GpucFile.Write(path, compressed);
            var loaded = ModelWeights.Read(path);
            Assert.That(fidelity.Psnr(loaded), Is.EqualTo(reached), "the file's weights are the ones the schedule measured");
            foreach (var (name, tensorPlan) in plan)
            {
                float[] values = loaded.Float(name, [.. loaded.ShapeOf(name)]);
                Assert.That(values.Count(v => v == 0), Is.GreaterThanOrEqualTo(Math.Round(tensorPlan.Sparsity * values.Length, MidpointRounding.AwayFromZero)), name);
                Assert.That(values.Distinct().Count(), Is.LessThanOrEqualTo(1 << tensorPlan.Bits), name);
            }
            Assert.That(new FileInfo(path).Length, Is.LessThan(new FileInfo(Shipped).Length / 2));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void PruningEverythingAwayCostsFidelityThatTheMeasureSees()
    {
        var weights = ModelWeights.Read(Shipped);
        using var accelerator = Devices.Open("cpu");
        var fidelity = new ImageModelFidelity(accelerator, weights, [Calibration()]);
        var plan = ModelCompressor.Compressible(weights).ToDictionary(n => n, _ => new TensorPlan(0.99, 2));
        Assert.That(fidelity.Psnr(ModelCompressor.Compress(weights, plan).ToWeights("pruned")), Is.LessThan(30));
    }

    [Test]
    public void WithoutItsConvolutionsVdsrIsStillCloseToItselfButFipIsNot()
    {
        using var accelerator = Devices.Open("cpu");
        foreach (var (file, atLeast, below) in new[] { ("vdsr-x2.safetensors", 30.0, double.PositiveInfinity), ("fip-detail.safetensors", 0.0, 20.0) })
        {
            var weights = ModelWeights.Read(Path.Combine(AppContext.BaseDirectory, "Shipped", file));
            var layers = ModelCompressor.Compressible(weights);
            var hollow = SensitivityAnalysis.WithoutTensors(weights, layers);
            foreach (string name in layers)
                Assert.That(hollow.Float(name, [.. hollow.ShapeOf(name)]), Is.All.EqualTo(0f), name);
            Assert.That(hollow.Names, Is.EquivalentTo(weights.Names));
            // VDSR adds a small residual to bicubic upscaling, so a low floor cannot tell the network from no network.
            double psnr = new ImageModelFidelity(accelerator, weights, [Calibration()]).Psnr(hollow);
            Assert.That(psnr, Is.InRange(atLeast, below), file);
        }
    }

    /// <summary>A structured model decoded (narrowed) and compressed again with its plan, which now records the
    /// kept channels, keeps its widths and selections instead of losing another share of its channels, and
    /// stores the same values (re-sharing values that are already the centroids finds them again).</summary>
    [Test]
    public void ANarrowedModelCompressedAgainWithItsPlanIsNotNarrowedTwice()
    {
        var weights = ModelWeights.Read(Shipped);
        var plan = new Dictionary<string, TensorPlan>
        {
            ["layers.3.conv.weight"] = new(0.25, 6, PruningGranularity.Channels),
            ["layers.7.conv.weight"] = new(0.5, 6, PruningGranularity.Channels),
            ["layers.5.conv.weight"] = new(0, 6),
        };
        var first = ModelCompressor.Compress(weights, plan);
        var selections = first.Tensors.Where(t => t.ChannelSelection is not null).ToDictionary(t => t.Name, t => t.ChannelSelection!);
        Assert.That(selections.Keys, Is.EquivalentTo(new[] { "layers.3.conv.weight", "layers.7.conv.weight" }));
        var decoded = first.ToWeights("the decoded structured model");
        Assert.That(decoded.ShapeOf("layers.7.conv.weight")[0], Is.EqualTo(12));

        var recorded = plan.ToDictionary(p => p.Key, p => p.Value with { KeptChannels = selections.GetValueOrDefault(p.Key) });
        var second = ModelCompressor.Compress(decoded, recorded);
        foreach (var tensor in first.Tensors)
        {
            var again = second.Tensors.Single(t => t.Name == tensor.Name);
            Assert.That(again.Shape, Is.EqualTo(tensor.Shape), tensor.Name);
            Assert.That(again.ChannelSelection?.Kept, Is.EqualTo(tensor.ChannelSelection?.Kept), tensor.Name);
            Assert.That(again.ChannelSelection?.Original, Is.EqualTo(tensor.ChannelSelection?.Original), tensor.Name);
            Assert.That(again.Decode(), Is.EqualTo(tensor.Decode()), tensor.Name);
        }
        // Without the record the plan narrows the narrowed layers again: what the record prevents.
        var twice = ModelCompressor.Compress(decoded, plan);
        Assert.That(twice.Tensors.Single(t => t.Name == "layers.7.conv.weight").Shape[0], Is.EqualTo(6));

        // A model of neither width is refused rather than stored with a selection that does not fit it.
        var wrong = recorded.ToDictionary(p => p.Key, p => p.Key == "layers.7.conv.weight" ? p.Value with { KeptChannels = new ChannelSelection(20, [.. Enumerable.Range(0, 10)]) } : p.Value);
        Assert.That(() => ModelCompressor.Compress(decoded, wrong), Throws.ArgumentException.With.Message.Contain("'layers.7.conv.weight' has 12 output channels; its plan kept 10 of 20"));
    }
}
