using Gpu.Ops.Sequence;

namespace Gpu.Tests.Ops.Sequence;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class SruTests(string deviceName) : DeviceTest(deviceName)
{
    private const string Plain = "sru_2017";
    private const string HighwayProjection = "sru_recurrent_weights_highway_projection_bidirectional";
    private const string Identity = "sru_identity_bidirectional";
    private const string Wide = "sru_wide_bidirectional";

    private static SruOptions OptionsOf(SequenceFixture fixture) => new(
        fixture.Int("input_size"), fixture.Int("hidden_size"), fixture.Int("bidirectional") != 0,
        fixture.Int("recurrent_weights") != 0, fixture.Text("activation") == "tanh");

    private static Dictionary<string, float[]> WeightsOf(SequenceFixture fixture) => fixture.Weights("input", "c0", "output", "cn");

    [TestCase(Plain, false)]
    [TestCase(Plain, true)]
    [TestCase(HighwayProjection, false)]
    [TestCase(HighwayProjection, true)]
    [TestCase(Identity, false)]
    [TestCase(Identity, true)]
    [TestCase(Wide, false)]
    [TestCase(Wide, true)]
    public void MatchesTheTorchSruWrittenFromTheEquations(string name, bool portableKernel)
    {
        var fixture = SequenceFixture.Load(name);
        var options = OptionsOf(fixture);
        int steps = (int)fixture.Shape("input")[0], batch = (int)fixture.Shape("input")[1];
        using var sru = new Sru(Accelerator, options, WeightsOf(fixture)) { PreferPortableKernels = portableKernel };
        using var input = Accelerator.Allocate<float>(fixture.Floats("input"));
        using var initialCell = Accelerator.Allocate<float>(fixture.Floats("c0"));
        using var output = Accelerator.Allocate<float>(fixture.Floats("output").Length);
        using var finalCell = Accelerator.Allocate<float>(fixture.Floats("cn").Length);

        sru.Forward(input.View, steps, batch, output.View, initialCell.View, finalCell.View);

        Close.Elementwise(fixture.Floats("output"), output.ToArray(), 2e-5f, 2e-5f, "output");
        Close.Elementwise(fixture.Floats("cn"), finalCell.ToArray(), 2e-5f, 2e-5f, "final cell");
    }

    [TestCase(Plain)]
    [TestCase(HighwayProjection)]
    [TestCase(Identity)]
    [TestCase(Wide)]
    public void ReferenceMatchesTorch(string name)
    {
        var fixture = SequenceFixture.Load(name);
        var (output, finalCell) = SruReference.Run(OptionsOf(fixture), WeightsOf(fixture), fixture.Floats("input"),
            (int)fixture.Shape("input")[0], (int)fixture.Shape("input")[1], fixture.Floats("c0"));
        Close.Elementwise(fixture.Floats("output"), output, 1e-5f, 1e-5f, "output");
        Close.Elementwise(fixture.Floats("cn"), finalCell, 1e-5f, 1e-5f, "final cell");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WideLayerWithoutInitialCellMatchesTheReference(bool portableKernel)
    {
        // d = 20 covers full SIMD vectors and a scalar tail; no initial cell means zeros.
        var options = new SruOptions(12, 20, Bidirectional: true, RecurrentWeights: true);
        var weights = RandomWeights(options, seed: 3);
        const int steps = 7, batch = 2;
        float[] x = Random(steps * batch * options.InputSize, 4);
        using var sru = new Sru(Accelerator, options, weights) { PreferPortableKernels = portableKernel };
        using var input = Accelerator.Allocate<float>(x);
        using var output = Accelerator.Allocate<float>(steps * batch * 2 * options.HiddenSize);

        sru.Forward(input.View, steps, batch, output.View);

        Close.Elementwise(SruReference.Run(options, weights, x, steps, batch).Output, output.ToArray(), 1e-5f, 1e-5f, "output");
    }

    [TestCase(16, 16, true, true)]
    [TestCase(33, 7, false, false)]
    [TestCase(21, 21, true, true)]
    [TestCase(5, 5, true, false)]
    public void LayersOffTheSegmentWidthMatchTheReference(int hidden, int inputSize, bool bidirectional, bool tanh)
    {
        // On OpenCL runtimes on a host CPU the portable kernel is the 16-column segment schedule: whole
        // segments, whole segments then trailing columns, and trailing columns alone; both highways.
        var options = new SruOptions(inputSize, hidden, bidirectional, RecurrentWeights: true, TanhActivation: tanh);
        var weights = RandomWeights(options, seed: 11);
        const int steps = 6, batch = 3;
        float[] x = Random(steps * batch * inputSize, 12), c0 = Random(options.Directions * batch * hidden, 13);
        using var sru = new Sru(Accelerator, options, weights) { PreferPortableKernels = true };
        using var input = Accelerator.Allocate<float>(x);
        using var initialCell = Accelerator.Allocate<float>(c0);
        using var output = Accelerator.Allocate<float>(steps * batch * options.Directions * hidden);
        using var finalCell = Accelerator.Allocate<float>(c0.Length);

        sru.Forward(input.View, steps, batch, output.View, initialCell.View, finalCell.View);

        var expected = SruReference.Run(options, weights, x, steps, batch, c0);
        Close.Elementwise(expected.Output, output.ToArray(), 1e-5f, 1e-5f, "output");
        Close.Elementwise(expected.FinalCell, finalCell.ToArray(), 1e-5f, 1e-5f, "final cell");
    }

    [TestCase(16, 3, 1, true, true)]
    [TestCase(37, 4, 2, true, false)]
    [TestCase(21, 3, 2, false, true)]
    [TestCase(7, 4, 1, false, false)]
    public void SegmentScheduleEqualsTheColumnKernelBitForBit(int hidden, int blocks, int directions, bool initialCell, bool tanh)
    {
        const int steps = 5, batch = 3;
        int inputSize = blocks == 3 ? hidden : hidden + 2, rows = steps * batch, state = directions * batch * hidden;
        using var projections = Accelerator.Allocate<float>(Random(rows * directions * blocks * hidden, 21));
        using var input = Accelerator.Allocate<float>(Random(rows * inputSize, 22));
        using var c0 = Accelerator.Allocate<float>(Random(state, 23));
        using var forgetWeights = Accelerator.Allocate<float>(Random(directions * hidden, 24));
        using var resetWeights = Accelerator.Allocate<float>(Random(directions * hidden, 25));
        (float[] Output, float[] FinalCell) Run(bool segments)
        {
            // NaN where nothing is written: a skipped column cannot pass as a result.
            using var output = Accelerator.Allocate<float>(Enumerable.Repeat(float.NaN, rows * directions * hidden).ToArray());
            using var finalCell = Accelerator.Allocate<float>(Enumerable.Repeat(float.NaN, state).ToArray());
            var kernel = new SruRecurrenceKernel
            {
                Projections = projections.View, Input = input.View, Output = output.View, InitialCell = c0.View, FinalCell = finalCell.View,
                ForgetWeights = forgetWeights.View, ResetWeights = resetWeights.View, Steps = steps, Batch = batch, Hidden = hidden,
                InputSize = inputSize, Directions = directions, Blocks = blocks, HasInitialCell = initialCell ? 1 : 0, Tanh = tanh ? 1 : 0,
            };
            if (segments)
                SruRecurrenceSegmentKernel.Launch(Accelerator, kernel);
            else
                Accelerator.Launch(state, kernel);
            return (output.ToArray(), finalCell.ToArray());
        }

        var columns = Run(segments: false);
        var segmented = Run(segments: true);

        Assert.Multiple(() =>
        {
            Assert.That(columns.Output.Concat(columns.FinalCell).All(float.IsFinite), "the column kernel wrote every element");
            Assert.That(segmented.Output.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(columns.Output.Select(BitConverter.SingleToInt32Bits)), "output");
            Assert.That(segmented.FinalCell.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(columns.FinalCell.Select(BitConverter.SingleToInt32Bits)), "final cell");
        });
    }

    [Test]
    public void MissingOrMisSizedWeightsAreNamed()
    {
        var options = new SruOptions(4, 6, Bidirectional: true, RecurrentWeights: true);
        var weights = RandomWeights(options, seed: 1);
        weights.Remove("v_r_reverse");
        Assert.That(() => new Sru(Accelerator, options, weights), Throws.ArgumentException.With.Message.Contains("'v_r_reverse' is missing"));
        weights = RandomWeights(options, seed: 1);
        weights["weight"] = new float[5];
        Assert.That(() => new Sru(Accelerator, options, weights), Throws.ArgumentException.With.Message.Contains("'weight' holds 5 values; 96 expected"));
    }

    [Test]
    public void InputOfTheWrongLengthIsRejected()
    {
        var options = new SruOptions(4, 4);
        using var sru = new Sru(Accelerator, options, RandomWeights(options, seed: 2));
        using var input = Accelerator.Allocate<float>(10);
        using var output = Accelerator.Allocate<float>(12);
        Assert.That(() => sru.Forward(input.View, 3, 1, output.View), Throws.ArgumentException.With.Message.Contains("input holds 10 elements; 12 expected"));
    }

    internal static Dictionary<string, float[]> RandomWeights(SruOptions options, int seed)
    {
        var weights = new Dictionary<string, float[]>();
        for (int direction = 0; direction < options.Directions; direction++)
            foreach (var (name, length) in options.WeightNames(direction))
                weights[name] = Random(length, seed++);
        return weights;
    }

    internal static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5))];
    }
}
