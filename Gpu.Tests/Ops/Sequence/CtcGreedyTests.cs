using Gpu.Ops.Sequence;

namespace Gpu.Tests.Ops.Sequence;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class CtcGreedyTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void DecodesRepeatsBlanksAndEmptyPathsLikeTheReferenceScript()
    {
        var fixture = SequenceFixture.Load("ctc_greedy");
        float[] scores = fixture.Floats("log_probs");
        var shape = fixture.Shape("log_probs");
        int steps = (int)shape[0], batch = (int)shape[1], classes = (int)shape[2];
        int[] labels = fixture.Ints("labels"), lengths = fixture.Ints("lengths");
        int[][] expected = [.. Enumerable.Range(0, batch).Select(b => labels.AsSpan(b * steps, lengths[b]).ToArray())];
        using var device = Accelerator.Allocate<float>(scores);

        int[][] decoded = CtcGreedy.Decode(Accelerator, device.View, steps, batch, classes);

        Assert.That(decoded, Is.EqualTo(expected));
        Assert.That(CtcGreedy.Reference(scores, steps, batch, classes), Is.EqualTo(expected));
    }

    [Test]
    public void UnusedLabelSlotsHoldThePadding()
    {
        // 3 steps, 1 sequence, 3 classes: best path 2, 2, 0 → one label.
        float[] scores = [0f, 1f, 5f, 0f, 1f, 5f, 9f, 1f, 5f];
        using var device = Accelerator.Allocate<float>(scores);
        using var bestPath = Accelerator.Allocate<int>(3);
        using var labels = Accelerator.Allocate<int>(3);
        using var lengths = Accelerator.Allocate<int>(1);

        CtcGreedy.Decode(Accelerator, device.View, 3, 1, 3, bestPath.View, labels.View, lengths.View);

        Assert.That(bestPath.ToArray(), Is.EqualTo(new[] { 2, 2, 0 }));
        Assert.That(labels.ToArray(), Is.EqualTo(new[] { 2, CtcGreedy.Padding, CtcGreedy.Padding }));
        Assert.That(lengths.ToArray(), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void ScoresOfTheWrongLengthAreRejected()
    {
        using var device = Accelerator.Allocate<float>(11);
        Assert.That(() => CtcGreedy.Decode(Accelerator, device.View, 2, 2, 3),
            Throws.ArgumentException.With.Message.Contains("need 12 elements"));
    }
}
