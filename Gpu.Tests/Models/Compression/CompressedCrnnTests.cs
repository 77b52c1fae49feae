using System.Text.Json;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Crnn;
using Gpu.Ops.Gemm;
using Gpu.Ops.Sequence;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Models.Compression;

/// <summary>The shipped CRNN compressed in memory runs its convolutions (batch norm as the products'
/// per-channel epilogue), its LSTM input projections and recurrent products and its linear layers through the sparse,
/// codebook and int8 routes built from the stored tensors, and agrees with the same model decoded to
/// dense float32; each test also checks that the route it asked for is the one that ran.</summary>
public sealed class CompressedCrnnTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>The exact routes hold the decoded weights, so only the order of float32 sums differs
    /// (the CPU's dense convolutions also round through Winograd), through seven convolutions and two
    /// BiLSTMs to logits of magnitude about 10; seen: 1e-5 on the CPU, none on PoCL.</summary>
    private const double ExactLogitTolerance = 2e-3;

    /// <summary>The int8 route quantizes the activations of each of the 17 products (the recurrent ones at every
    /// step) to 7 bits per tensor; seen: the logits move by 0.2 at most on these inputs.</summary>
    private const double Int8LogitTolerance = 0.5;

    private const string Model = "crnn";

    private static readonly string ShippedText = Path.Combine(AppContext.BaseDirectory, "Shipped", "text");

    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Sparse)]
    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Shared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Int8, LayerRouting.Int8)]
    public void CrnnOnACompressedRouteMatchesTheDecodedModel(CompressedStorage storage, LayerRouting routing)
    {
        var weights = CrnnWeights.Load(CompressedModels.Load(Model, storage));
        using var routed = new CrnnNetwork(Accelerator, weights, routing);
        float[] actual = NetworkRuns.CrnnLogits(Accelerator, routed);
        Assert.That(RoutedWeights(weights).Select(w => w.IsMaterialized), Is.All.False, "the routed layers ran without their dense weights");
        using var reference = new CrnnNetwork(Accelerator, weights);
        float[] expected = NetworkRuns.CrnnLogits(Accelerator, reference);
        Assert.That(RoutedWeights(weights).Select(w => w.IsMaterialized), Is.All.True, "the dense reference decoded them");
        TestContext.Out.WriteLine($"largest |logit| {expected.Max(MathF.Abs):F2}");
        ModelFixture.AssertClose(expected, actual, routing == LayerRouting.Int8 ? Int8LogitTolerance : ExactLogitTolerance, $"crnn {storage} via {routing}");
        Assert.That(reference.Convolutions.Select(c => c.Route).Concat(reference.Linears.Select(l => l.Route)), Is.All.EqualTo(ConvRoute.Dense), "the reference");
        // Every convolution, LSTM weight and linear weight is compressible (256 values or more), so each runs the route asked for.
        Assert.That(routed.Convolutions.Select(c => c.Route), Is.All.EqualTo(CompressedModels.Route(routing)), "the convolutions");
        Assert.That(routed.Convolutions, Has.Count.EqualTo(7));
        Assert.That(routed.Linears.Select(l => l.Route), Is.All.EqualTo(CompressedModels.Route(routing)), "the LSTM input projections, recurrent products and linear layers");
        Assert.That(routed.Linears, Has.Count.EqualTo(10));
    }

    [Test]
    public void MeasuredRoutingTimesEachExactRouteOfEveryLayerAndKeepsTheFastest()
    {
        var weights = CrnnWeights.Load(CompressedModels.Load(Model, CompressedStorage.PrunedAndShared));
        using var reference = new CrnnNetwork(Accelerator, weights);
        using var measured = new CrnnNetwork(Accelerator, weights, LayerRouting.Measured);
        ModelFixture.AssertClose(NetworkRuns.CrnnLogits(Accelerator, reference), NetworkRuns.CrnnLogits(Accelerator, measured), ExactLogitTolerance, "crnn measured");
        var layers = measured.Convolutions.Select(c => (c.Route, c.MeasuredMilliseconds)).Concat(measured.Linears.Select(l => (l.Route, l.MeasuredMilliseconds))).ToList();
        Assert.That(layers, Has.Count.EqualTo(17));
        foreach (var (route, milliseconds) in layers)
        {
            Assert.That(milliseconds.Keys, Is.EquivalentTo(new[] { ConvRoute.Dense, ConvRoute.Sparse, ConvRoute.Codebook }), "every exact route was timed");
            Assert.That(route, Is.EqualTo(milliseconds.MinBy(pair => pair.Value).Key), "the fastest was kept");
        }
    }

    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Measured)]
    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Sparse)]
    [TestCase(CompressedStorage.PrunedAndShared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Shared, LayerRouting.Codebook)]
    [TestCase(CompressedStorage.Int8, LayerRouting.Int8)]
    public void TheShippedLinesReadAsTheDecodedModelReadsThem(CompressedStorage storage, LayerRouting routing)
    {
        // Pruned 30 %, so the compressed model still reads some lines right and the comparison can fail.
        var weights = CompressedModels.Load(Model, storage, sparsity: 0.3);
        var accuracy = new TextLineAccuracy(Accelerator, ShippedLines());
        var decoded = accuracy.Score(weights);
        var routed = accuracy.Score(weights, routing);
        TestContext.Out.WriteLine($"crnn {storage}: decoded CER {decoded.CharacterErrorRate:P2}, words {decoded.WordAccuracy:P1}; via {routing} CER {routed.CharacterErrorRate:P2}, words {routed.WordAccuracy:P1}");
        Assert.That(decoded.WordAccuracy, Is.GreaterThan(0), "the compressed model reads some line right, or equal scores would show nothing");
        Assert.That(routed.CharacterErrorRate, Is.EqualTo(decoded.CharacterErrorRate).Within(1e-12), "CER");
        Assert.That(routed.WordAccuracy, Is.EqualTo(decoded.WordAccuracy).Within(1e-12), "word accuracy");
    }

    [TestCase(LayerRouting.Sparse)]
    [TestCase(LayerRouting.Codebook)]
    [TestCase(LayerRouting.Int8)]
    public void ALinearRouteComputesFromTheStoredTensorAsAPlainProductDoes(LayerRouting routing)
    {
        var shape = new LinearShape(Inputs: 40, Outputs: 24);
        const int rows = 7;
        float[] values = ImageTestData.Random((int)shape.WeightLength, seed: 21, low: -0.5f, high: 0.5f);
        var stored = routing == LayerRouting.Int8
            ? CompressedTensor.Int8("w", [24, 40], values)
            : CompressedTensor.SparseShared("w", [24, 40], values, MagnitudePruning.MaskBySparsity(values, 0.6), valueBits: 4, gapBits: 4);
        float[] bias = ImageTestData.Random(shape.Outputs, seed: 22, low: -1f, high: 1f);
        float[] x = ImageTestData.Random(rows * shape.Inputs, seed: 23, low: -1f, high: 1f);
        // The plain product on the stored tensor's own decoding: y[r, o] = Σ_k x[r, k]·W[o, k] + b[o].
        float[] expected = PlainProduct(shape, rows, x, stored.Decode(), [.. Enumerable.Range(0, rows).SelectMany(_ => bias)]);
        using var scratch = new ConvScratch(Accelerator);
        // The dense floats handed over are all zero: only the stored tensor can give the expected output.
        using var layer = new RoutedLinear(Accelerator, shape, new float[shape.WeightLength], bias, stored, routing, scratch);
        Assert.That(layer.Route, Is.EqualTo(CompressedModels.Route(routing)));
        using var input = Accelerator.Allocate<float>(x);
        using var output = Accelerator.Allocate<float>(rows * shape.Outputs);
        layer.Multiply(input.View, output.View, rows);
        // int8: x is quantized to 7 bits over [−1, 1] (steps of 1/127) against 40 weights of up to 0.5.
        ModelFixture.AssertClose(expected, output.ToArray(), routing == LayerRouting.Int8 ? 0.08 : 1e-5, $"linear via {routing}");
        Assert.That(expected.Select((v, i) => Math.Abs(v - bias[i % shape.Outputs])).Max(), Is.GreaterThan(0.1), "the output must depend on the weights, or the test shows nothing");
    }

    /// <summary>Each forced route of a recurrent product, on one row (a CRNN line's step: the products write
    /// straight into y) and on three (through the routes' transposes).</summary>
    private static IEnumerable<TestCaseData> RecurrentRouteCases()
        => from routing in new[] { LayerRouting.Dense, LayerRouting.Sparse, LayerRouting.Codebook, LayerRouting.Int8 }
           from rows in new[] { 1, 3 }
           select new TestCaseData(routing, rows);

    [TestCaseSource(nameof(RecurrentRouteCases))]
    public void ARecurrentRouteAddsIntoTheGatesAsAPlainProductDoes(LayerRouting routing, int rows)
    {
        var shape = new LinearShape(Inputs: 24, Outputs: 96);
        float[] values = ImageTestData.Random((int)shape.WeightLength, seed: 31, low: -0.5f, high: 0.5f);
        var stored = StoredFor(routing, "rnn.0.rnn.weight_hh_l0", shape, values);
        float[] w = stored.Decode();
        float[] x = ImageTestData.Random(rows * shape.Inputs, seed: 32, low: -1f, high: 1f);
        float[] gates = ImageTestData.Random(rows * shape.Outputs, seed: 33, low: -2f, high: 2f);
        // gates[r, o] + Σ_k x[r, k]·W[o, k], on the stored tensor's own decoding.
        float[] expected = PlainProduct(shape, rows, x, w, gates);
        using var scratch = new ConvScratch(Accelerator);
        // Only the dense route reads the floats handed over; the others get zeros, so only the stored tensor can give the expected output.
        using var layer = RoutedLinear.Recurrent(Accelerator, shape, routing == LayerRouting.Dense ? w : new float[shape.WeightLength], stored, routing, scratch);
        Assert.That(layer.Route, Is.EqualTo(RouteOf(routing)));
        using var input = Accelerator.Allocate<float>(x);
        using var output = Accelerator.Allocate<float>(gates);
        layer.MultiplyAdd(input.View, output.View, rows);
        // int8: x is quantized to 7 bits over [−1, 1] (steps of 1/127) against 24 weights of up to 0.5.
        ModelFixture.AssertClose(expected, output.ToArray(), routing == LayerRouting.Int8 ? 0.05 : 1e-5, $"recurrent product via {routing}, {rows} rows");
        Assert.That(expected.Select((v, i) => Math.Abs(v - gates[i])).Max(), Is.GreaterThan(0.1), "the product must add something, or the test shows nothing");
    }

    /// <summary>An LSTM whose recurrent products are routed layers built from stored weight_hh agrees with the
    /// LSTM running the decoded weights densely: to the bit on the dense route (the same packed GEMM with
    /// β = 1), within float32 summation order on the sparse and codebook routes, within 7-bit quantization of
    /// h on int8.</summary>
    [TestCaseSource(nameof(RecurrentRouteCases))]
    public void AnLstmWithRoutedRecurrentProductsMatchesTheDenseLstm(LayerRouting routing, int batch)
    {
        var options = new LstmOptions(InputSize: 12, HiddenSize: 16, Bidirectional: true);
        var shape = new LinearShape(options.OutputSize, 4 * options.HiddenSize);
        const int steps = 6;
        int seed = 40;
        var weights = Enumerable.Range(0, options.Directions).SelectMany(d => options.WeightNames(0, d))
            .ToDictionary(p => p.Name, p => ImageTestData.Random(p.Length, seed++, low: -0.6f, high: 0.6f));
        var stored = Enumerable.Range(0, options.Directions).Select(d =>
        {
            string name = LstmOptions.Name("weight_hh", 0, d);
            var tensor = StoredFor(routing, name, shape, weights[name]);
            weights[name] = tensor.Decode();
            return tensor;
        }).ToArray();
        float[] x = ImageTestData.Random(steps * batch * options.InputSize, seed: 50, low: -1f, high: 1f);
        float[] Run(IReadOnlyDictionary<string, float[]> given, IReadOnlyList<IAccumulatingLinearProduct?> recurrent)
        {
            using var lstm = new Lstm(Accelerator, options, given, [], recurrent);
            using var input = Accelerator.Allocate<float>(x);
            using var output = Accelerator.Allocate<float>(steps * batch * 2 * options.OutputSize);
            lstm.Forward(input.View, steps, batch, output.View);
            return output.ToArray();
        }
        float[] expected = Run(weights, []);

        using var scratch = new ConvScratch(Accelerator);
        var products = stored.Select((tensor, d) => RoutedLinear.Recurrent(Accelerator, shape,
            routing == LayerRouting.Dense ? weights[tensor.Name] : new float[shape.WeightLength], tensor, routing, scratch)).ToArray();
        try
        {
            Assert.That(products.Select(p => p.Route), Is.All.EqualTo(RouteOf(routing)));
            var biasesOnly = weights.Where(p => !p.Key.StartsWith("weight_hh", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value);
            float[] actual = Run(biasesOnly, products);
            if (routing == LayerRouting.Dense)
                Assert.That(actual, Is.EqualTo(expected), "the same GEMM adds the same terms");
            else
                ModelFixture.AssertClose(expected, actual, routing == LayerRouting.Int8 ? 0.02 : 1e-5, $"LSTM via {routing}, batch {batch}");
        }
        finally
        {
            foreach (var product in products)
                product.Dispose();
        }
        var withoutRecurrence = weights.ToDictionary(p => p.Key, p => p.Key.StartsWith("weight_hh", StringComparison.Ordinal) ? new float[p.Value.Length] : p.Value);
        Assert.That(Run(withoutRecurrence, []).Zip(expected, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(0.05), "the recurrence must matter, or the test shows nothing");
    }

    [Test]
    public void MalformedLinearLayersAreRefusedClearly()
    {
        using var scratch = new ConvScratch(Accelerator);
        var shape = new LinearShape(Inputs: 16, Outputs: 32);
        float[] values = ImageTestData.Random((int)shape.WeightLength, seed: 24, low: -1f, high: 1f);
        var transposed = CompressedTensor.Shared("rnn.0.embedding.weight", [16, 32], values, 4);
        var error = Assert.Throws<ArgumentException>(() => new RoutedLinear(Accelerator, shape, values, new float[32], transposed, LayerRouting.Codebook, scratch))!;
        Assert.That(error.Message, Does.Contain("rnn.0.embedding.weight").And.Contain("[32, 16]"));
        Assert.That(() => new RoutedLinear(Accelerator, shape, values, new float[31], null, LayerRouting.Dense, scratch), Throws.ArgumentException.With.Message.Contain("32 biases"));
        Assert.That(() => new RoutedLinear(Accelerator, new LinearShape(0, 4), Array.Empty<float>(), new float[4], null, LayerRouting.Dense, scratch), Throws.InstanceOf<ArgumentOutOfRangeException>());

        using var layer = new RoutedLinear(Accelerator, shape, values, new float[32], null, LayerRouting.Dense, scratch);
        using var x = Accelerator.Allocate<float>(3 * 16);
        using var y = Accelerator.Allocate<float>(2 * 32);
        Assert.That(() => layer.Multiply(x.View, y.View, 3), Throws.ArgumentException.With.Message.Contain("96 output"));

        // An LSTM refuses an input product of the wrong width before running anything.
        var options = new LstmOptions(InputSize: 32, HiddenSize: 8, Bidirectional: true);
        var lstmWeights = options.WeightNames(0, 0).Concat(options.WeightNames(0, 1)).ToDictionary(p => p.Name, p => new float[p.Length]);
        Assert.That(() => new Lstm(Accelerator, options, lstmWeights, [layer, layer]),
            Throws.ArgumentException.With.Message.Contain("maps 16 to 32 features; 32 to 32 are needed"));
        Assert.That(() => new Lstm(Accelerator, options, lstmWeights, [null]), Throws.ArgumentException.With.Message.Contain("one per layer and direction (2)"));
        // … and a recurrent product of the wrong width: the layer maps 16 to 32, the recurrence 8 to 32.
        Assert.That(() => new Lstm(Accelerator, options, lstmWeights, [], [layer, layer]),
            Throws.ArgumentException.With.Message.Contain("recurrent product of layer 0, direction 0 maps 16 to 32 features; 8 to 32 are needed"));
    }

    /// <summary>The weights of every layer with a compressed route: the convolutions, the LSTM input and recurrent weights and the linear layers.</summary>
    private static IEnumerable<WeightValues> RoutedWeights(CrnnWeights weights)
        => weights.Convolutions.Select(c => c.Weights).Concat(weights.Recurrent.SelectMany(r => new[]
        {
            r.Lstm["weight_ih_l0"], r.Lstm["weight_ih_l0_reverse"], r.Lstm["weight_hh_l0"], r.Lstm["weight_hh_l0_reverse"], r.LinearWeight,
        }));

    /// <summary><c>start[r, o] + Σ_k x[r, k]·W[o, k]</c> in double, for rows × Inputs x and Outputs × Inputs W.</summary>
    private static float[] PlainProduct(LinearShape shape, int rows, float[] x, float[] w, float[] start)
    {
        float[] y = new float[rows * shape.Outputs];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < shape.Outputs; o++)
            {
                double sum = start[r * shape.Outputs + o];
                for (int k = 0; k < shape.Inputs; k++)
                    sum += (double)x[r * shape.Inputs + k] * w[o * shape.Inputs + k];
                y[r * shape.Outputs + o] = (float)sum;
            }
        return y;
    }

    /// <summary>The one route a forced routing, dense included, runs.</summary>
    private static ConvRoute RouteOf(LayerRouting routing) => routing == LayerRouting.Dense ? ConvRoute.Dense : CompressedModels.Route(routing);

    /// <summary>A weight_hh of <paramref name="shape"/> stored for <paramref name="routing"/>: int8, or pruned 60 % and shared at 4 bits.</summary>
    private static CompressedTensor StoredFor(LayerRouting routing, string name, LinearShape shape, float[] values)
        => routing == LayerRouting.Int8
            ? CompressedTensor.Int8(name, [shape.Outputs, shape.Inputs], values)
            : CompressedTensor.SparseShared(name, [shape.Outputs, shape.Inputs], values, MagnitudePruning.MaskBySparsity(values, 0.6), valueBits: 4, gapBits: 4);

    /// <summary>The shipped text lines (samples/images/text) with their truths.</summary>
    private static List<TextLine> ShippedLines()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ShippedText, "lines.json")));
        return [.. document.RootElement.GetProperty("lines").EnumerateArray().Select(e =>
        {
            using var image = ImageCodec.Read(Path.Combine(ShippedText, e.GetProperty("file").GetString()!), new FrameBatchPool());
            return new TextLine(image.Frame(0).ToArray(), image.Format.Size.Width, image.Format.Size.Height, e.GetProperty("text").GetString()!);
        })];
    }
}
