using System.Runtime.InteropServices;
using Gpu.Core;
using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

public sealed class CudaDiscoveryTests
{
    private static BackendStatus CudaStatus => Devices.Backends.Single(b => b.Backend == "CUDA");

    private const string DriverLibrary = "libcuda.so.1";

    [Test]
    public void WithoutTheDriverLibraryThereAreNoDevicesAndTheReasonNamesIt()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("The driver library's name here is Linux's.");
        if (NativeLibrary.TryLoad(DriverLibrary, out nint handle))
        {
            NativeLibrary.Free(handle);
            Assert.Ignore($"{DriverLibrary} is installed here, so discovery without it cannot be observed.");
        }
        Assert.That(Devices.All.Where(d => d.Kind == DeviceKind.Cuda), Is.Empty);
        Assert.That(CudaStatus.DeviceCount, Is.Zero);
        Assert.That(CudaStatus.UnavailableReason, Does.Contain(DriverLibrary).And.Not.Contain("\n"));
        Assert.That(new CudaBackend().Discover(out string? reason), Is.Empty);
        Assert.That(reason, Does.Contain(DriverLibrary));
    }

    [Test]
    public void StatusAgreesWithTheDeviceList()
    {
        var cuda = Devices.All.Where(d => d.Kind == DeviceKind.Cuda).ToList();
        Assert.That(CudaStatus.DeviceCount, Is.EqualTo(cuda.Count));
        Assert.That(cuda.Select(d => d.Name), Is.EqualTo(Enumerable.Range(0, cuda.Count).Select(i => $"cuda:{i}")));
        if (cuda.Count == 0)
            Assert.That(CudaStatus.UnavailableReason, Is.Not.Null.And.Not.Empty);
        else
            Assert.That(CudaStatus.UnavailableReason, Is.Null);
    }

    [Test]
    public void NamingAMissingCudaDeviceListsWhyCudaIsUnavailable()
    {
        if (Devices.All.Any(d => d.Name == "cuda:99"))
            Assert.Ignore("This machine has a cuda:99.");
        var expected = Throws.InstanceOf<DeviceNotFoundException>().With.Message.Contains("cuda:99");
        if (CudaStatus.UnavailableReason is { } reason)
            expected = expected.And.Message.Contains(reason);
        Assert.That(() => Devices.Get("cuda:99"), expected);
    }
}
