using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using Gpu.Ops.Image;

namespace Gpu.Tests.Models;

/// <summary>The three networks load the reference definitions' PyTorch weights unchanged and
/// reproduce their outputs on every device (tools/reference/model_fixtures.py).</summary>
public sealed class ModelParityTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Absolute error allowed per element: float32 through a deep network (and the CPU's
    /// Winograd F(4×4), whose transforms round about ten times as much as a direct convolution)
    /// against a float64 reference; PyTorch's own float32 forward lands within about a tenth of it.</summary>
    private const double NetworkTolerance = 2e-4;

    [TestCase("can24", "odd")]
    [TestCase("can24", "batch2")]
    [TestCase("can24", "pixel")]
    [TestCase("can32", "odd")]
    [TestCase("can32", "batch2")]
    [TestCase("can_param4", "odd")]
    [TestCase("can_param4", "batch2")]
    public void CanMatchesPyTorchInBothNormModesAndLayouts(string name, string group)
    {
        var fixture = new ModelFixture(name);
        var weights = CanWeights.Load(fixture.Weights());
        var (n, c, h, w) = ModelFixture.Shape4(fixture.ShapeOf(group + "/input"));
        var shape = new ImageShape(n, c, h, w);
        foreach (var mode in new[] { NormalizationMode.Folded, NormalizationMode.BatchStatistics })
        {
            float[] expected = fixture.Get($"{group}/output_{(mode == NormalizationMode.Folded ? "folded" : "batch")}");
            using var network = new ContextAggregationNetwork(Accelerator, weights, mode);
            foreach (var layout in new[] { TensorLayout.RowMajor, TensorLayout.Nhwc })
            {
                float[] actual = RunCan(network, fixture.Get(group + "/input"), shape, layout);
                ModelFixture.AssertClose(expected, actual, NetworkTolerance, $"{name} {group} {mode} {layout}");
            }
        }
    }

    [Test]
    public void CanRunsRepeatedFramesAndNewSizesThroughOneNetwork()
    {
        var fixture = new ModelFixture("can24");
        using var network = new ContextAggregationNetwork(Accelerator, CanWeights.Load(fixture.Weights()));
        foreach (string group in new[] { "odd", "batch2", "odd", "pixel", "odd" })
        {
            var (n, c, h, w) = ModelFixture.Shape4(fixture.ShapeOf(group + "/input"));
            float[] actual = RunCan(network, fixture.Get(group + "/input"), new ImageShape(n, c, h, w), TensorLayout.RowMajor);
            ModelFixture.AssertClose(fixture.Get(group + "/output_folded"), actual, NetworkTolerance, $"can24 {group} after other sizes");
        }
    }

    [TestCase(TensorLayout.RowMajor)]
    [TestCase(TensorLayout.Nhwc)]
    public void CanInStripsUnderAMemoryBudgetMatchesTheWholeFrame(TensorLayout layout)
    {
        var weights = CanWeights.Load(new ModelFixture("can_param4").Weights());
        var config = weights.Config;
        var shape = new ImageShape(2, config.InputChannels, 61, 23);
        float[] input = ImageTestDataRandom((int)shape.Length, seed: 9, low: 0f, high: 1f);
        using var whole = new ContextAggregationNetwork(Accelerator, weights);
        float[] expected = RunCan(whole, input, shape, layout);
        using var strips = new ContextAggregationNetwork(Accelerator, weights);
        // Room for 5 rows of output plus the halo of 8 rows above and below: 12 strips of 21 rows.
        long perRow = 2L * shape.Width * config.Width * sizeof(float);
        strips.ActivationBudgetBytes = config.MacsPerPixel * sizeof(float) + perRow * (5 + 2 * config.ReceptiveRadius);
        Assert.That(strips.StripRows(shape), Is.EqualTo(5));
        ModelFixture.AssertClose(expected, RunCan(strips, input, shape, layout), 1e-5, $"strips of 5 rows, {layout}");

        strips.ActivationBudgetBytes = perRow;
        Assert.Throws<InsufficientMemoryException>(() => RunCan(strips, input, shape, layout));
        using var batchMode = new ContextAggregationNetwork(Accelerator, weights, NormalizationMode.BatchStatistics) { ActivationBudgetBytes = perRow * 30 };
        var refused = Assert.Throws<InsufficientMemoryException>(() => RunCan(batchMode, input, shape, layout))!;
        Assert.That(refused.Message, Does.Contain("folded"));
    }

    [Test]
    public void AnIdentityInitialisedCanReturnsItsNonNegativeInput()
    {
        using var network = new ContextAggregationNetwork(Accelerator, CanWeights.Identity(CanConfig.Can24));
        float[] input = ImageTestDataRandom(3 * 19 * 21, seed: 5, low: 0f, high: 1f);
        float[] output = RunCan(network, input, new ImageShape(1, 3, 19, 21), TensorLayout.RowMajor);
        ModelFixture.AssertClose(input, output, 1e-5, "identity CAN24");
    }

    [TestCase("y")]
    public void VdsrNetworkMatchesPyTorch(string group)
    {
        var fixture = new ModelFixture("vdsr_m2");
        using var network = new VdsrNetwork(Accelerator, VdsrWeights.Load(fixture.Weights()));
        var (n, _, h, w) = ModelFixture.Shape4(fixture.ShapeOf(group + "/input"));
        using var input = Accelerator.Allocate<float>(fixture.Get(group + "/input"));
        using var output = Accelerator.Allocate<float>((long)n * h * w);
        network.Forward(input.View, output.View, n, h, w);
        ModelFixture.AssertClose(fixture.Get(group + "/output"), output.ToArray(), NetworkTolerance, "vdsr network");
    }

    [TestCase("rgb", 2)]
    [TestCase("rgb", 3)]
    [TestCase("rgb", 4)]
    [TestCase("rgb_batch2", 2)]
    [TestCase("rgb_batch2", 3)]
    [TestCase("rgb_batch2", 4)]
    public void VdsrUpscalesRgbAsThePyTorchPipeline(string group, int scale)
    {
        var fixture = new ModelFixture("vdsr_m2");
        using var network = new VdsrNetwork(Accelerator, VdsrWeights.Load(fixture.Weights()));
        var (n, c, h, w) = ModelFixture.Shape4(fixture.ShapeOf(group + "/input"));
        var shape = new ImageShape(n, c, h, w);
        float[] expected = fixture.Get($"{group}/output_x{scale}");
        foreach (var layout in new[] { TensorLayout.RowMajor, TensorLayout.Nhwc })
        {
            using var input = Accelerator.Allocate<float>(Relayout(fixture.Get(group + "/input"), shape, TensorLayout.RowMajor, layout));
            using var output = Accelerator.Allocate<float>(expected.Length);
            network.Upscale(input.View, output.View, shape, scale, layout);
            var target = shape with { Height = h * scale, Width = w * scale };
            ModelFixture.AssertClose(expected, Relayout(output.ToArray(), target, layout, TensorLayout.RowMajor), NetworkTolerance, $"vdsr {group} ×{scale} {layout}");
        }
    }

    [TestCase("w100")]
    [TestCase("w37")]
    [TestCase("batch2_w48")]
    public void CrnnMatchesPyTorchLogitsAndDecodesTheSameText(string group)
    {
        var fixture = new ModelFixture("crnn_small");
        using var network = new CrnnNetwork(Accelerator, CrnnWeights.Load(fixture.Weights()));
        var (n, _, _, w) = ModelFixture.Shape4(fixture.ShapeOf(group + "/input"));
        int steps = CrnnNetwork.StepsFor(w);
        Assert.That(steps, Is.EqualTo(fixture.Group(group).GetProperty("steps").GetInt32()), "time steps");
        using var input = Accelerator.Allocate<float>(fixture.Get(group + "/input"));
        using var logits = Accelerator.Allocate<float>((long)steps * n * network.Weights.Classes);
        network.Forward(input.View, n, w, logits.View);
        ModelFixture.AssertClose(fixture.Get(group + "/logits"), logits.ToArray(), NetworkTolerance, $"crnn {group} logits");

        double margin = fixture.Group(group).GetProperty("min_margin").GetDouble();
        Assert.That(margin, Is.GreaterThan(2 * NetworkTolerance), "the fixture's decisions must be clearer than the tolerance for the text to be comparable");
        string[] expected = [.. fixture.Group(group).GetProperty("decoded").EnumerateArray().Select(e => e.GetString()!)];
        Assert.That(expected.Any(s => s.Length > 0), "the fixture decodes some text");
        Assert.That(network.Recognize(input.View, n, w), Is.EqualTo(expected));
    }

    [Test]
    public void ParameterCountsMatchTheReferenceDefinitions()
    {
        var counts = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFixture.Directory, "parameter_counts.json"))).RootElement;
        Assert.That(CanConfig.Can24.ParameterCount, Is.EqualTo(counts.GetProperty("can24").GetInt64()));
        Assert.That(CanConfig.Can32.ParameterCount, Is.EqualTo(counts.GetProperty("can32").GetInt64()));
        Assert.That(VdsrWeights.Random(18, seed: 1).ParameterCount, Is.EqualTo(counts.GetProperty("vdsr").GetInt64()));
        Assert.That(CrnnWeights.Random(seed: 1).ParameterCount, Is.EqualTo(counts.GetProperty("crnn").GetInt64()));
        Assert.That(CanConfig.Can24.ParameterCount, Is.InRange(36_000, 38_000), "SPEC.md: CAN24 ≈ 37 k");
        Assert.That(counts.GetProperty("vdsr").GetInt64(), Is.InRange(660_000, 670_000), "SPEC.md: VDSR ≈ 665 k");
        Assert.That(counts.GetProperty("crnn").GetInt64(), Is.InRange(8_250_000, 8_350_000), "SPEC.md: CRNN ≈ 8.3 M");
        var small = CrnnWeights.Load(new ModelFixture("crnn_small").Weights());
        Assert.That(small.ParameterCount, Is.EqualTo(ReferenceParameterCount("crnn_small")), "the narrow CRNN, counted from its file");
    }

    /// <summary>Learned parameters of a weights file as PyTorch counts them: every tensor but the
    /// batch norms' running statistics and counters.</summary>
    private static long ReferenceParameterCount(string name)
    {
        var (tensors, _) = Gpu.Models.Safetensors.SafetensorsFile.Read(Path.Combine(ModelFixture.Directory, name + ".safetensors"));
        return tensors.Values.Where(t => !t.Name.EndsWith("running_mean") && !t.Name.EndsWith("running_var") && !t.Name.EndsWith("num_batches_tracked"))
            .Sum(t => t.ElementCount);
    }

    private float[] RunCan(ContextAggregationNetwork network, float[] nchw, ImageShape shape, TensorLayout layout)
    {
        int outputs = network.Weights.Config.OutputChannels;
        using var input = Accelerator.Allocate<float>(Relayout(nchw, shape, TensorLayout.RowMajor, layout));
        using var output = Accelerator.Allocate<float>(shape.WithChannels(outputs).Length);
        network.Forward(input.View, output.View, shape, layout);
        return Relayout(output.ToArray(), shape.WithChannels(outputs), layout, TensorLayout.RowMajor);
    }

    private static float[] Relayout(float[] data, ImageShape shape, TensorLayout from, TensorLayout to)
    {
        if (from == to)
            return data;
        var source = ImageStrides.Of(from, shape.Channels, shape.Height, shape.Width);
        var destination = ImageStrides.Of(to, shape.Channels, shape.Height, shape.Width);
        var result = new float[data.Length];
        for (int n = 0; n < shape.Batch; n++)
            for (int c = 0; c < shape.Channels; c++)
                for (int y = 0; y < shape.Height; y++)
                    for (int x = 0; x < shape.Width; x++)
                        result[ImageStrides.OffsetOf(destination, n, c, y, x)] = data[ImageStrides.OffsetOf(source, n, c, y, x)];
        return result;
    }

    private static float[] ImageTestDataRandom(int length, int seed, float low, float high)
        => Gpu.Tests.Ops.Image.ImageTestData.Random(length, seed, low, high);
}

/// <summary>CRNN's line preprocessing against OpenCV's, which the shipped model was trained on
/// (tools/reference/crnn_preprocess.py).</summary>
public sealed class CrnnInputTests
{
    [TestCase("wide")]
    [TestCase("narrow")]
    [TestCase("short")]
    public void LinesArePreparedAsOpenCvPreparedTheTrainingData(string name)
    {
        var (tensors, _) = Gpu.Models.Safetensors.SafetensorsFile.Read(Path.Combine(ModelFixture.Directory, "crnn_preprocess.safetensors"));
        var gray = tensors[name + "/gray"];
        int height = (int)gray.Shape[0], width = (int)gray.Shape[1];
        var input = new CrnnInput(100, Symmetric: true);
        Assert.That(input.LineWidth(width, height), Is.EqualTo(100));
        float[] expected = tensors[name + "/line"].ToFloat32();
        float[] actual = input.FromGray(gray.ToFloat32(), width, height);
        // OpenCV rounds resized pixels to whole grey levels (and weights them in fixed point): one
        // level is 2/255 after the mapping to [−1, 1].
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        TestContext.Out.WriteLine($"{name}: max |error| {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(2.0 / 255 + 1e-6));
    }

    [Test]
    public void WithoutAFixedWidthLinesKeepTheirAspectRatio()
    {
        var input = new CrnnInput(0, Symmetric: false);
        Assert.That(input.LineWidth(300, 64), Is.EqualTo(150));
        Assert.That(input.LineWidth(2, 64), Is.EqualTo(4), "at least the 4 columns the conv stack needs");
        float[] flat = input.FromGray(Enumerable.Repeat(0.25f, 64 * 300).ToArray(), 300, 64);
        Assert.That(flat, Has.Length.EqualTo(32 * 150).And.All.EqualTo(0.25f));
    }
}
