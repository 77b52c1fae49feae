using Gpu.Core;
using Gpu.Ops.Gemm;
using Gpu.Ops.Sequence;
using ILGPU;

namespace Gpu.Tests.Ops.Sequence;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class LstmTests(string deviceName) : DeviceTest(deviceName)
{
    private static readonly string[] States = ["input", "h0", "c0", "output", "hn", "cn"];

    public static IEnumerable<string> Cases =>
        ["lstm_plain", "lstm_bidirectional_2layers", "lstmp", "lstmp_bidirectional_2layers", "lstmp_peepholes",
         "lstmp_wide_bidirectional_2layers"];

    public static IEnumerable<TestCaseData> DeviceCases =>
        Cases.SelectMany(name => new[] { false, true }.Select(portable => new TestCaseData(name, portable)));

    private static LstmOptions OptionsOf(SequenceFixture fixture) => new(
        fixture.Int("input_size"), fixture.Int("hidden_size"), fixture.Int("proj_size"), fixture.Int("num_layers"),
        fixture.Int("bidirectional") != 0, fixture.Int("peepholes") != 0);

    [TestCaseSource(nameof(DeviceCases))]
    public void MatchesPyTorch(string name, bool portableKernel)
    {
        var fixture = SequenceFixture.Load(name);
        int steps = (int)fixture.Shape("input")[0], batch = (int)fixture.Shape("input")[1];
        using var lstm = new Lstm(Accelerator, OptionsOf(fixture), fixture.Weights(States)) { PreferPortableKernels = portableKernel };
        using var input = Accelerator.Allocate<float>(fixture.Floats("input"));
        using var h0 = Accelerator.Allocate<float>(fixture.Floats("h0"));
        using var c0 = Accelerator.Allocate<float>(fixture.Floats("c0"));
        using var output = Accelerator.Allocate<float>(fixture.Floats("output").Length);
        using var hn = Accelerator.Allocate<float>(fixture.Floats("hn").Length);
        using var cn = Accelerator.Allocate<float>(fixture.Floats("cn").Length);

        lstm.Forward(input.View, steps, batch, output.View, h0.View, c0.View, hn.View, cn.View);

        Close.Elementwise(fixture.Floats("output"), output.ToArray(), 2e-5f, 2e-5f, "output");
        Close.Elementwise(fixture.Floats("hn"), hn.ToArray(), 2e-5f, 2e-5f, "h_n");
        Close.Elementwise(fixture.Floats("cn"), cn.ToArray(), 2e-5f, 2e-5f, "c_n");
    }

    [TestCaseSource(nameof(Cases))]
    public void ReferenceMatchesPyTorch(string name)
    {
        var fixture = SequenceFixture.Load(name);
        var (output, hn, cn) = LstmReference.Run(OptionsOf(fixture), fixture.Weights(States), fixture.Floats("input"),
            (int)fixture.Shape("input")[0], (int)fixture.Shape("input")[1], fixture.Floats("h0"), fixture.Floats("c0"));
        Close.Elementwise(fixture.Floats("output"), output, 1e-5f, 1e-5f, "output");
        Close.Elementwise(fixture.Floats("hn"), hn, 1e-5f, 1e-5f, "h_n");
        Close.Elementwise(fixture.Floats("cn"), cn, 1e-5f, 1e-5f, "c_n");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ZeroInitialStatesAndWideCellsMatchTheReference(bool portableKernel)
    {
        // 19 cells cover full SIMD vectors and a scalar tail; no h0/c0 means zeros.
        var options = new LstmOptions(7, 19, ProjectionSize: 5, Layers: 2, Bidirectional: true, Peepholes: true);
        var weights = RandomWeights(options, seed: 11);
        const int steps = 6, batch = 3;
        float[] x = SruTests.Random(steps * batch * options.InputSize, 5);
        using var lstm = new Lstm(Accelerator, options, weights) { PreferPortableKernels = portableKernel };
        using var input = Accelerator.Allocate<float>(x);
        using var output = Accelerator.Allocate<float>(steps * batch * 2 * options.OutputSize);

        lstm.Forward(input.View, steps, batch, output.View);

        Close.Elementwise(LstmReference.Run(options, weights, x, steps, batch).Output, output.ToArray(), 2e-5f, 2e-5f, "output");
    }

    /// <summary>Batches and widths off the barrier-free schedules' blocks (8 rows, 16 columns): a batch of
    /// 13 slides its second row block back, 37 cells give 148 gate columns (the column walk, its last block
    /// sliding), a projection of 20 is two column blocks, 4 cells exactly one, and a batch of 5 or 3 cells
    /// stay below a block (the portable product). With h0 and c0, so the first step has a recurrent product too.</summary>
    [TestCase(13, 37, 0)]
    [TestCase(13, 37, 20)]
    [TestCase(9, 4, 0)]
    [TestCase(5, 3, 2)]
    [TestCase(32, 40, 20)]
    public void BatchesAndWidthsOffTheBlocksMatchTheReference(int batch, int hidden, int projection)
    {
        var options = new LstmOptions(11, hidden, ProjectionSize: projection);
        var weights = RandomWeights(options, seed: 50 + hidden);
        const int steps = 4;
        float[] x = SruTests.Random(steps * batch * options.InputSize, 12);
        float[] h0 = SruTests.Random(batch * options.OutputSize, 13), c0 = SruTests.Random(batch * hidden, 14);
        using var lstm = new Lstm(Accelerator, options, weights);
        using var input = Accelerator.Allocate<float>(x);
        using var h0Buffer = Accelerator.Allocate<float>(h0);
        using var c0Buffer = Accelerator.Allocate<float>(c0);
        using var output = Accelerator.Allocate<float>(steps * batch * options.OutputSize);

        lstm.Forward(input.View, steps, batch, output.View, h0Buffer.View, c0Buffer.View);

        Close.Elementwise(LstmReference.Run(options, weights, x, steps, batch, h0, c0).Output, output.ToArray(), 2e-5f, 2e-5f, "output");
    }

    /// <summary>The barrier-free schedule's cell kernel (gate functions without library calls, a 2D launch)
    /// launched directly, so it runs on every device, against the portable kernel's library gate functions:
    /// pre-activations up to ±50, where tanh reaches the exponential's clamp and the sigmoids saturate.</summary>
    [Test]
    public void CellRowsKernelMatchesTheLibraryCellKernel()
    {
        const int cells = 19, batch = 3;
        float[] gates = [.. SruTests.Random(batch * 4 * cells, 21).Select(v => 100f * v)];
        float[] previous = SruTests.Random(batch * cells, 22);
        float[] peepholes = SruTests.Random(3 * cells, 23);
        using var gateBuffer = Accelerator.Allocate<float>(gates);
        using var previousBuffer = Accelerator.Allocate<float>(previous);
        using var peepholeBuffer = Accelerator.Allocate<float>(peepholes);
        using var libraryCell = Accelerator.Allocate<float>(batch * cells);
        using var libraryHidden = Accelerator.Allocate<float>(batch * cells);
        using var rowsCell = Accelerator.Allocate<float>(batch * cells);
        using var rowsHidden = Accelerator.Allocate<float>(batch * cells);
        LstmCellKernel Kernel(ArrayView<float> cell, ArrayView<float> hidden) => new()
        {
            Gates = gateBuffer.View, PreviousCell = previousBuffer.View, Cell = cell, Hidden = hidden,
            PeepholeInput = peepholeBuffer.View.SubView(0, cells), PeepholeForget = peepholeBuffer.View.SubView(cells, cells),
            PeepholeOutput = peepholeBuffer.View.SubView(2 * cells, cells), Cells = cells,
        };

        Accelerator.Launch(batch * cells, Kernel(libraryCell.View, libraryHidden.View));
        Accelerator.Launch(cells, batch, new LstmCellRowsKernel { Cell = Kernel(rowsCell.View, rowsHidden.View) });

        Close.Elementwise(libraryCell.ToArray(), rowsCell.ToArray(), 1e-6f, 1e-6f, "cell");
        Close.Elementwise(libraryHidden.ToArray(), rowsHidden.ToArray(), 1e-6f, 1e-6f, "hidden");
    }

    [Test]
    public void CallerInputProductsStandInForTheDenseInputGemm()
    {
        // Two bidirectional layers of different input widths, one direction left to the dense GEMM:
        // a product given to the wrong layer or direction would fail the width check or the comparison.
        var options = new LstmOptions(7, 6, Layers: 2, Bidirectional: true);
        var weights = RandomWeights(options, seed: 31);
        const int steps = 5, batch = 2;
        float[] x = SruTests.Random(steps * batch * options.InputSize, 6);
        var products = new List<BiasedProduct?>();
        for (int layer = 0; layer < options.Layers; layer++)
            for (int direction = 0; direction < options.Directions; direction++)
                products.Add(layer == 1 && direction == 0 ? null : new BiasedProduct(Accelerator, options.LayerInputSize(layer), 4 * options.HiddenSize,
                    weights[LstmOptions.Name("weight_ih", layer, direction)],
                    [.. weights[LstmOptions.Name("bias_ih", layer, direction)].Zip(weights[LstmOptions.Name("bias_hh", layer, direction)], (a, b) => a + b)]));
        try
        {
            using var lstm = new Lstm(Accelerator, options, weights, products);
            using var input = Accelerator.Allocate<float>(x);
            using var output = Accelerator.Allocate<float>(steps * batch * 2 * options.OutputSize);
            lstm.Forward(input.View, steps, batch, output.View);
            Close.Elementwise(LstmReference.Run(options, weights, x, steps, batch).Output, output.ToArray(), 2e-5f, 2e-5f, "output");
            Assert.That(products.Where(p => p is not null).Select(p => p!.Calls), Is.All.EqualTo(1), "each product ran once, for all the steps");
        }
        finally
        {
            foreach (var product in products)
                product?.Dispose();
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CallerRecurrentProductsStandInForTheDenseRecurrentGemm(bool initialStates)
    {
        // Two projected bidirectional layers (the recurrent product maps the projection, 5, to 4·6 gates),
        // one direction left to the dense GEMM and one also given its input product; the given weight_hh are
        // removed, so the LSTM cannot have read them. Without h0 the first step has no recurrent product.
        var options = new LstmOptions(7, 6, ProjectionSize: 5, Layers: 2, Bidirectional: true);
        var weights = RandomWeights(options, seed: 41);
        const int steps = 5, batch = 2;
        float[] x = SruTests.Random(steps * batch * options.InputSize, 7);
        int states = options.Layers * options.Directions;
        float[] h0 = initialStates ? SruTests.Random(states * batch * options.OutputSize, 8) : [], c0 = initialStates ? SruTests.Random(states * batch * options.HiddenSize, 9) : [];
        var expected = LstmReference.Run(options, weights, x, steps, batch, h0, c0).Output;
        var given = new Dictionary<string, float[]>(weights);
        var recurrent = new List<BiasedProduct?>();
        var input = new List<BiasedProduct?>();
        for (int layer = 0; layer < options.Layers; layer++)
            for (int direction = 0; direction < options.Directions; direction++)
            {
                string name = LstmOptions.Name("weight_hh", layer, direction);
                bool dense = layer == 1 && direction == 0;
                recurrent.Add(dense ? null : new BiasedProduct(Accelerator, options.OutputSize, 4 * options.HiddenSize, weights[name], []));
                if (!dense)
                    given.Remove(name);
                input.Add(layer == 0 && direction == 1 ? new BiasedProduct(Accelerator, options.InputSize, 4 * options.HiddenSize, weights[LstmOptions.Name("weight_ih", 0, 1)],
                    [.. weights[LstmOptions.Name("bias_ih", 0, 1)].Zip(weights[LstmOptions.Name("bias_hh", 0, 1)], (a, b) => a + b)]) : null);
            }
        try
        {
            using var lstm = new Lstm(Accelerator, options, given, input, recurrent);
            using var inputBuffer = Accelerator.Allocate<float>(x);
            using var h0Buffer = Accelerator.Allocate<float>(h0.Length == 0 ? [0f] : h0);
            using var c0Buffer = Accelerator.Allocate<float>(c0.Length == 0 ? [0f] : c0);
            using var output = Accelerator.Allocate<float>(steps * batch * 2 * options.OutputSize);
            lstm.Forward(inputBuffer.View, steps, batch, output.View, initialStates ? h0Buffer.View : default, initialStates ? c0Buffer.View : default);
            Close.Elementwise(expected, output.ToArray(), 2e-5f, 2e-5f, "output");
            Assert.That(recurrent.Where(p => p is not null).Select(p => p!.AddCalls), Is.All.EqualTo(initialStates ? steps : steps - 1), "one accumulating product per step that has a previous h");
            Assert.That(recurrent.Where(p => p is not null).Select(p => p!.Calls), Is.All.EqualTo(0), "the recurrent products never overwrite the gates");
        }
        finally
        {
            foreach (var product in recurrent.Concat(input))
                product?.Dispose();
        }
    }

    [Test]
    public void RecurrentProductsOfTheWrongWidthOrCountAreRefused()
    {
        var options = new LstmOptions(3, 4, ProjectionSize: 2, Bidirectional: true);
        var weights = RandomWeights(options, seed: 3);
        // The input width (3) where the projection (2) is needed.
        using var wrong = new BiasedProduct(Accelerator, 3, 16, new float[48], []);
        Assert.That(() => new Lstm(Accelerator, options, weights, [], [wrong, null]),
            Throws.ArgumentException.With.Message.Contain("recurrent product of layer 0, direction 0 maps 3 to 16 features; 2 to 16 are needed"));
        Assert.That(() => new Lstm(Accelerator, options, weights, [], [null]), Throws.ArgumentException.With.Message.Contain("one per layer and direction (2)"));
        var withoutRecurrent = new Dictionary<string, float[]>(weights);
        withoutRecurrent.Remove("weight_hh_l0");
        Assert.That(() => new Lstm(Accelerator, options, withoutRecurrent, [], [null, null]), Throws.ArgumentException.With.Message.Contains("'weight_hh_l0' is missing"));
    }

    [Test]
    public void MissingWeightIsNamed()
    {
        var options = new LstmOptions(3, 4, Layers: 2, Bidirectional: true);
        var weights = RandomWeights(options, seed: 1);
        weights.Remove("bias_hh_l1_reverse");
        Assert.That(() => new Lstm(Accelerator, options, weights), Throws.ArgumentException.With.Message.Contains("'bias_hh_l1_reverse' is missing"));
    }

    [Test]
    public void ProjectionNotSmallerThanTheCellsIsRejected()
        => Assert.That(() => new LstmOptions(3, 4, ProjectionSize: 4).Validate(), Throws.ArgumentException.With.Message.Contains("smaller than the cells"));

    [Test]
    public void StatesOfTheWrongLengthAreRejected()
    {
        var options = new LstmOptions(3, 4);
        using var lstm = new Lstm(Accelerator, options, RandomWeights(options, seed: 2));
        using var input = Accelerator.Allocate<float>(2 * 1 * 3);
        using var output = Accelerator.Allocate<float>(2 * 1 * 4);
        using var wrong = Accelerator.Allocate<float>(3);
        Assert.That(() => lstm.Forward(input.View, 2, 1, output.View, initialCell: wrong.View),
            Throws.ArgumentException.With.Message.Contains("initial cell holds 3 elements; 4 expected"));
    }

    private static Dictionary<string, float[]> RandomWeights(LstmOptions options, int seed)
    {
        var weights = new Dictionary<string, float[]>();
        for (int layer = 0; layer < options.Layers; layer++)
            for (int direction = 0; direction < options.Directions; direction++)
                foreach (var (name, length) in options.WeightNames(layer, direction))
                    weights[name] = SruTests.Random(length, seed++);
        return weights;
    }

    /// <summary>A caller's product as a plain GEMM with its own weight and bias (the summed biases for an input
    /// product, none for a recurrent one), counting its overwriting and accumulating calls.</summary>
    private sealed class BiasedProduct(Accelerator accelerator, int inputs, int outputs, float[] weight, float[] bias) : IAccumulatingLinearProduct, IDisposable
    {
        private readonly DeviceBuffer<float> weights = accelerator.Allocate<float>(weight), biases = accelerator.Allocate<float>(bias.Length == 0 ? [0f] : bias);

        public int Inputs => inputs;

        public int Outputs => outputs;

        public int Calls { get; private set; }

        public int AddCalls { get; private set; }

        public void Multiply(ArrayView<float> x, ArrayView<float> y, int rows)
        {
            Calls++;
            Run(x, y, rows, beta: 0f);
        }

        public void MultiplyAdd(ArrayView<float> x, ArrayView<float> y, int rows)
        {
            AddCalls++;
            Run(x, y, rows, beta: 1f);
        }

        public void Dispose()
        {
            weights.Dispose();
            biases.Dispose();
        }

        private void Run(ArrayView<float> x, ArrayView<float> y, int rows, float beta)
            => DenseGemm.Multiply(accelerator, new GemmShape(rows, outputs, inputs, TransposeB: true), x, weights.View, y, beta: beta,
                bias: bias.Length == 0 ? default : biases.View);
    }
}
