using Gpu.Conformance;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using ILGPU;

namespace Gpu.Tests.Core;

/// <summary>The conformance suite (the same cases <c>gpuc selftest</c> runs), one test per case per device.</summary>
public sealed class ConformanceTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCaseSource(typeof(ConformanceSuite), nameof(ConformanceSuite.Names))]
    public void CaseProducesTheHostResult(string caseName)
    {
        try
        {
            ConformanceSuite.Get(caseName).Run(Accelerator);
        }
        catch (ConformanceSkippedException e)
        {
            Assert.Ignore(e.Message);
        }
    }

    [Test]
    public void GroupLargerThanTheDeviceAllowsIsRejected()
    {
        var extent = new GroupedExtent(1, Accelerator.Device.MaxGroupSize + 1);
        Assert.That(() => Accelerator.LaunchGrouped(extent, new TreeReductionKernel()),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("exceeds"));
    }
}

public sealed class ConformanceSuiteTests
{
    private struct WrongSaxpyKernel : IKernel1D
    {
        public ArrayView<float> Y;

        public void Execute(int index) => Y[index] = index == 2 ? -1f : Y[index];
    }

    [Test]
    public void AWrongResultIsReportedWithTheFirstMismatchAndDoesNotStopTheRun()
    {
        using var accelerator = Devices.Open("cpu");
        var failing = new ConformanceCase("test/wrong", a =>
        {
            using var y = a.Allocate<float>([1f, 2f, 3f, 4f]);
            a.Launch(4, new WrongSaxpyKernel { Y = y.View });
            Check.Exact("y", [1f, 2f, 3f, 4f], y.ToArray());
        });
        var results = ConformanceSuite.Run(accelerator, [failing, ConformanceSuite.All[0]]).ToList();
        Assert.That(results[0].Passed, Is.False);
        Assert.That(results[0].Failure, Is.EqualTo("y[2]: expected 3, got -1"));
        Assert.That(results[1].Passed, Is.True);
    }

    [Test]
    public void AKnownGapIsReportedAsSkippedWithItsReasonNotAsAFailure()
    {
        using var accelerator = Devices.Open("cpu");
        var gap = new ConformanceCase("test/gap", _ => throw new ConformanceSkippedException("known gap: no intrinsic"));
        var result = ConformanceSuite.Run(accelerator, [gap]).Single();
        Assert.That((result.Passed, result.Skipped, result.Failure), Is.EqualTo((false, true, "known gap: no intrinsic")));
    }

    [TestCase(1f, 1f, 0)]
    [TestCase(1f, 1.0000001f, 1)]
    [TestCase(-0f, 0f, 0)]
    [TestCase(float.Epsilon, -float.Epsilon, 2)]
    [TestCase(float.NaN, float.NaN, 0)]
    [TestCase(float.NaN, 1f, long.MaxValue)]
    public void UlpDistanceCountsRepresentableFloatsBetween(float a, float b, long expected)
        => Assert.That(Check.UlpDistance(a, b), Is.EqualTo(expected));

    [Test]
    public void ExactComparisonDistinguishesSignedZeros()
        => Assert.That(() => Check.Exact("z", [0f], [-0f]), Throws.InstanceOf<ConformanceException>());
}
