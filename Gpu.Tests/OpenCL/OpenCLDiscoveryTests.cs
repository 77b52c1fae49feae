using Gpu.Core;
using Gpu.Core.OpenCL;
using Gpu.Core.OpenCL.Native;

namespace Gpu.Tests.OpenCL;

public sealed class OpenCLDiscoveryTests
{
    private static BackendStatus OpenCLStatus => Devices.Backends.Single(b => b.Backend == "OpenCL");

    [Test]
    public void WithoutTheLoaderThereAreNoDevicesAndTheReasonNamesIt()
    {
        const string missing = "libOpenCL-that-does-not-exist.so.1";
        var devices = new OpenCLBackend([missing]).Discover(out string? reason);
        Assert.That(devices, Is.Empty);
        Assert.That(reason, Is.EqualTo($"{missing} not found (no OpenCL ICD loader installed)"));
    }

    [Test]
    public void ALibraryThatIsNoOpenCLLoaderIsRejectedWithTheMissingEntryPoint()
    {
        // Any library the platform loader accepts but that exports no OpenCL.
        string notOpenCL = OperatingSystem.IsWindows() ? "kernel32.dll" : OperatingSystem.IsMacOS() ? "libSystem.dylib" : "libc.so.6";
        var devices = new OpenCLBackend([notOpenCL]).Discover(out string? reason);
        Assert.That(devices, Is.Empty);
        Assert.That(reason, Does.StartWith($"{notOpenCL} lacks OpenCL 1.2").And.Contain("clGetPlatformIDs"));
    }

    [Test]
    public void StatusAgreesWithTheDeviceList()
    {
        var opencl = Devices.All.Where(d => d.Kind == DeviceKind.OpenCL).ToList();
        Assert.That(OpenCLStatus.DeviceCount, Is.EqualTo(opencl.Count));
        Assert.That(opencl.Select(d => d.Name), Is.EqualTo(Enumerable.Range(0, opencl.Count).Select(i => $"opencl:{i}")));
        if (opencl.Count == 0)
            Assert.That(OpenCLStatus.UnavailableReason, Is.Not.Null.And.Not.Empty.And.Not.Contain("\n"));
        else
            Assert.That(OpenCLStatus.UnavailableReason, Is.Null);
    }

    [Test]
    public void DevicesComeAfterTheCpuAndBeforeCuda()
    {
        var kinds = Devices.All.Select(d => d.Kind).ToList();
        Assert.That(kinds, Is.EqualTo(kinds.OrderBy(k => k switch { DeviceKind.Cpu => 0, DeviceKind.OpenCL => 1, _ => 2 })));
    }

    [Test]
    public void EveryDeviceTheLoaderReportsIsListed()
    {
        var (api, failure) = OpenCLApi.Load(OpenCLApi.DefaultCandidates);
        if (api is null)
            Assert.Ignore($"No OpenCL loader here: {failure}");
        var found = new OpenCLBackend(OpenCLApi.DefaultCandidates).Discover(out _);
        Assert.That(found.Select(d => d.Name), Is.EqualTo(Devices.All.Where(d => d.Kind == DeviceKind.OpenCL).Select(d => d.Name)));
        Assert.That(found.Select(d => d.DisplayName), Is.EqualTo(Devices.All.Where(d => d.Kind == DeviceKind.OpenCL).Select(d => d.DisplayName)));
    }
}
