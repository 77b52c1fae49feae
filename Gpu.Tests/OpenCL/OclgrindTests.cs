namespace Gpu.Tests.OpenCL;

/// <summary>Memory safety of the OpenCL engine (issue 17): the conformance suite and every op at small
/// sizes run on Oclgrind's simulated device with nothing reported, and each deliberately wrong
/// kernel is reported, which shows the check is live.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OclgrindTests
{
    /// <summary>Oclgrind interprets every work-item; on the loaded 2-core machine the suite takes a few minutes.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    /// <summary>Races Oclgrind found in corpus kernels, which their owners fix in the kernel source:
    /// each an item reading with a plain load what another item writes. An entry that no longer
    /// shows fails the test, so the list cannot outlive the bug.</summary>
    [Test]
    public void ConformanceSuiteRunsCleanUnderOclgrind()
    {
        using var oclgrind = OclgrindPlatform.OrIgnore();
        var (exitCode, output, error) = ChildProcess.Exec("gpuc.dll", ["selftest", "--device", OclgrindPlatform.Device], oclgrind.Environment, Limit);
        TestContext.Out.WriteLine(output + error);
        Assert.That(exitCode, Is.Zero, "a conformance case failed on Oclgrind");
        Assert.That(oclgrind.Reports(), Is.Empty, oclgrind.Report());
    }

    [Test]
    public void EveryOpAtSmallSizesRunsCleanUnderOclgrind()
    {
        using var oclgrind = OclgrindPlatform.OrIgnore();
        var report = ChildProcess.Run("small-op-sweep", [OclgrindPlatform.Device], oclgrind.Environment, Limit);
        TestContext.Out.WriteLine(report.ToString());
        Assert.That(report.Outcome, Is.EqualTo("returned"), report.ToString());
        string[] lines = report.Details.Split('\n');
        Assert.That(lines, Has.Length.GreaterThan(15).And.All.EndsWith(" ran"), report.Details);
        Assert.That(oclgrind.Report(), Is.Empty);
    }

    [TestCase("out-of-bounds-write", "OutOfBoundsWriteKernel", "Invalid write of size 4 at global memory")]
    [TestCase("missing-barrier", "MissingBarrierKernel", "Read-write data race at local memory")]
    public void OclgrindReportsTheDeliberateBug(string kernel, string kernelType, string expected)
    {
        using var oclgrind = OclgrindPlatform.OrIgnore();
        var report = ChildProcess.Run("deliberately-wrong-kernel", [OclgrindPlatform.Device, kernel], oclgrind.Environment, Limit);
        Assert.That(report.Outcome, Is.EqualTo("returned"), report.ToString());
        Assert.That(oclgrind.Report(), Does.Contain(expected).And.Contain(kernelType));
    }
}
