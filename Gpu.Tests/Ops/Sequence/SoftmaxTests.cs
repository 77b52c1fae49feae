using Gpu.Ops.Sequence;

namespace Gpu.Tests.Ops.Sequence;

[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class SoftmaxTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(false, "softmax")]
    [TestCase(true, "log_softmax")]
    public void MatchesPyTorchOnLargeMagnitudes(bool logarithm, string expectedName)
    {
        var fixture = SequenceFixture.Load("softmax");
        float[] input = fixture.Floats("input");
        int rows = (int)fixture.Shape("input")[0], columns = (int)fixture.Shape("input")[1];
        using var x = Accelerator.Allocate<float>(input);
        using var y = Accelerator.Allocate<float>(input.Length);

        Softmax.Forward(Accelerator, x.View, y.View, rows, columns, logarithm);

        float[] actual = y.ToArray();
        Assert.That(actual, Has.All.Not.NaN, "no overflow to NaN");
        // log-softmax values reach −1e4 here: the tolerance grows with their size.
        Close.Elementwise(fixture.Floats(expectedName), actual, 1e-6f, 1e-6f, "PyTorch");
        Close.Elementwise(Softmax.Reference(input, rows, columns, logarithm), actual, 1e-6f, 1e-6f, "reference");
    }

    [Test]
    public void SoftmaxRowsSumToOneAndWorkInPlace()
    {
        float[] input = [.. Enumerable.Range(0, 3 * 50).Select(i => MathF.Sin(i) * 40f)];
        using var x = Accelerator.Allocate<float>(input);

        Softmax.Forward(Accelerator, x.View, x.View, 3, 50);

        float[] actual = x.ToArray();
        for (int row = 0; row < 3; row++)
            Assert.That(actual.AsSpan(row * 50, 50).ToArray().Sum(), Is.EqualTo(1f).Within(1e-5f), $"row {row}");
        Assert.That(actual, Is.EqualTo(Softmax.Reference(input, 3, 50)).Within(1e-7f));
    }

    [Test]
    public void WrongLengthIsRejected()
    {
        using var x = Accelerator.Allocate<float>(10);
        Assert.That(() => Softmax.Forward(Accelerator, x.View, x.View, 3, 4),
            Throws.ArgumentException.With.Message.Contains("needs 12 elements"));
    }
}
