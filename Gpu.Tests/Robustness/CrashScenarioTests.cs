using Gpu.Core;

namespace Gpu.Tests.Robustness;

/// <summary>Issue 18's inputs that used to kill the process, each run by Gpu.Tests.Child in a process
/// of its own (<see cref="ChildProcess"/>): a regression fails here instead of ending the test run.</summary>
public sealed class CrashScenarioTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Runs a scenario on this fixture's device and asserts it exited normally.</summary>
    private ChildReport Run(string scenario, params string[] arguments)
    {
        var report = ChildProcess.Run(scenario, [DeviceName, .. arguments]);
        Assert.That(report.ExitCode, Is.Zero, $"the child process crashed: {report}");
        return report;
    }

    [Test]
    public void AConvolutionWithStrideZeroIsRefusedNamingTheStride()
    {
        var report = Run("conv-stride-zero");
        Assert.That(report.Threw<ArgumentOutOfRangeException>(), report.ToString());
        Assert.That(report.Details, Does.Contain("Stride must be positive; got 0"));
    }

    /// <summary>Dilation ≈ 7.2e8 with padding d: valid, but 3·d passes int.MaxValue, which made the
    /// Winograd path write before the output. Every path this device runs in NHWC computes it.</summary>
    [Test]
    public void DilationsWhoseMultiplesPassInt32AreComputedCorrectlyOnEveryPath()
    {
        var results = RunPaths(720_000_000, 720_000_000, 720_000_000);
        Assert.Multiple(() =>
        {
            foreach (var (path, line) in results)
                Assert.That(MaxError(line), Is.LessThan(1e-5), $"{path}: {line}");
        });
    }

    /// <summary>d = 2^30 makes the 3×3 kernel span 2^31 + 1 pixels: refused, naming the dilation and the
    /// limit, where F(4×4) used to return NaN in 33 of 512 outputs. The largest dilation whose span fits
    /// (2^30 − 1, padding chosen so the padded image is exactly int.MaxValue high) is computed correctly.</summary>
    [Test]
    public void ADilationWhoseSpanPassesInt32IsRefusedAndTheLargestThatFitsIsExact()
    {
        var refused = RunPaths(1 << 30, 1, 1);
        var largest = RunPaths((1 << 30) - 1, (1 << 30) - 1, (1 << 30) - 5);
        Assert.Multiple(() =>
        {
            foreach (var (path, line) in refused)
                Assert.That(line, Does.StartWith("threw System.ArgumentOutOfRangeException").And.Contain("(Parameter 'Dilation')").And.Contain(int.MaxValue.ToString()), path);
            foreach (var (path, line) in largest)
                Assert.That(MaxError(line), Is.LessThan(1e-5), $"{path}: {line}");
        });
    }

    /// <summary>The conv-dilation scenario on every NHWC path of this device: each path's report line.</summary>
    private Dictionary<string, string> RunPaths(int dilation, int padBefore, int padAfter)
    {
        string[] paths = Accelerator.IsHostAddressable() ? ["Auto", "Direct", "CpuSimd", "CpuWinograd", "CpuWinograd4x4"] : ["Auto", "Direct"];
        var report = Run("conv-dilation", dilation.ToString(), padBefore.ToString(), padAfter.ToString(), string.Join(',', paths));
        Assert.That(report.Outcome, Is.EqualTo("returned"), report.ToString());
        var lines = report.Details.Split('\n').ToDictionary(l => l.Split(' ')[0], l => l[(l.IndexOf(' ') + 1)..]);
        Assert.That(lines.Keys, Is.EquivalentTo(paths), report.ToString());
        return lines;
    }

    /// <summary>The error of a <c>max-error E</c> line; NaN for anything else, which fails the bound.</summary>
    private static double MaxError(string line)
        => line.StartsWith("max-error ", StringComparison.Ordinal) ? double.Parse(line["max-error ".Length..], System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

    [Test]
    public void AViewOfADisposedBufferIsAnObjectDisposedException()
    {
        var report = Run("view-of-disposed-buffer");
        Assert.That(report.Threw<ObjectDisposedException>(), report.ToString());
        Assert.That(report.Details, Does.Contain("input is a view of a buffer that has been disposed"));
    }

    [Test]
    public void RunningALayerAfterItsAcceleratorIsDisposedIsAnObjectDisposedException()
    {
        var report = Run("conv-after-accelerator-disposed");
        Assert.That(report.Threw<ObjectDisposedException>(), report.ToString());
    }

    /// <summary>Views of a second accelerator of the same device (another context), and of every other
    /// device found; the scenario disposes both accelerators, where a crash used to come after success.</summary>
    [Test]
    public void ViewsOfAnotherAcceleratorAreAnArgumentException()
    {
        Assert.Multiple(() =>
        {
            foreach (string other in Devices.All.Select(d => d.Name))
            {
                var report = Run("view-of-other-accelerator", other);
                Assert.That(report.Threw<ArgumentException>(), $"{other}: {report}");
                Assert.That(report.Details, Does.Contain("another accelerator").And.Contain("(Parameter 'input')"), other);
            }
        });
    }

    [TestCase("csr-column-out-of-range", "ColumnIndices[2] = 268435456 is not a column in [0, 4)")]
    [TestCase("csr-last-row-pointer-past-end", "RowPointers must hold rows + 1 = 4 offsets from 0 to the 6 stored entries")]
    public void ACsrStructureWrittenOutOfRangeIsRefused(string scenario, string message)
    {
        var report = Run(scenario);
        Assert.That(report.Threw<ArgumentException>(), report.ToString());
        Assert.That(report.Details, Does.Contain(message).And.Contain("(Parameter 'weights')"));
    }

}

/// <summary>The process-wide hazards of issue 18, each in a child process with its own environment.</summary>
public sealed class ProcessHazardTests
{
    /// <summary>PoCL installs a SIGFPE handler when its devices are initialised; with it, any managed
    /// integer division by zero afterwards aborted the process.</summary>
    [Test]
    public void ADivisionByZeroAfterDeviceDiscoveryIsADivideByZeroException()
    {
        var report = ChildProcess.Run("divide-after-discovery");
        Assert.That(report.ExitCode, Is.Zero, $"the child process crashed: {report}");
        Assert.That(report.Threw<DivideByZeroException>(), report.ToString());
    }

    [TestCase("GPUC_CPU_THREADS", "garbage")]
    [TestCase("GPUC_CPU_THREADS", "0")]
    [TestCase("GPUC_CPU_FMA_UNITS", "-2")]
    public void ABadCpuSettingIsAnErrorNamingTheVariable(string variable, string value)
    {
        var report = ChildProcess.Run("discover", environment: new Dictionary<string, string> { [variable] = value });
        Assert.That(report.ExitCode, Is.Zero, $"the child process crashed: {report}");
        Assert.That(report.Threw<InvalidEnvironmentVariableException>(), report.ToString());
        Assert.That(report.Details, Does.Contain($"{variable}='{value}'").And.Contain("positive integer"));
    }

    [Test]
    public void ADefaultDeviceNamingNoDeviceIsAnErrorNamingTheVariable()
    {
        var report = ChildProcess.Run("default-device", environment: new Dictionary<string, string> { [Devices.DefaultDeviceVariable] = "garbage" });
        Assert.That(report.ExitCode, Is.Zero, $"the child process crashed: {report}");
        Assert.That(report.Threw<DeviceNotFoundException>(), report.ToString());
        Assert.That(report.Details, Does.Contain("GPUC_DEVICE='garbage' names no device"));
    }

    [Test]
    public void GoodSettingsAreAccepted()
    {
        var report = ChildProcess.Run("discover", environment: new Dictionary<string, string> { ["GPUC_CPU_THREADS"] = "1", ["GPUC_CPU_FMA_UNITS"] = "2" });
        Assert.That(report.Outcome, Is.EqualTo("returned"), report.ToString());
        Assert.That(report.Details, Does.StartWith("cpu"));
    }
}
