using Gpu.Core;

namespace Gpu.Tests.Core;

public sealed class DeviceTests
{
    [Test]
    public void TheCpuIsAlwaysListedFirstWithSensibleFigures()
    {
        var cpu = Devices.All[0];
        Assert.That(cpu.Name, Is.EqualTo("cpu"));
        Assert.That(cpu.Kind, Is.EqualTo(DeviceKind.Cpu));
        Assert.That(cpu.ComputeUnits, Is.GreaterThan(0));
        Assert.That(cpu.SimdWidth, Is.AnyOf(1, 4, 8, 16));
        Assert.That(cpu.MemoryBytes, Is.GreaterThan(1L << 26));
        Assert.That(cpu.PeakGflops, Is.GreaterThan(0));
        Assert.That(cpu.PeakGBps, Is.GreaterThan(0));
        Assert.That(cpu.PeakSource, Does.Contain("lanes"));
    }

    [Test]
    public void DeviceNamesAreUniqueAndResolveCaseInsensitively()
    {
        Assert.That(Devices.All.Select(d => d.Name), Is.Unique);
        foreach (var device in Devices.All)
            Assert.That(Devices.Get(device.Name.ToUpperInvariant()), Is.SameAs(device));
    }

    [Test]
    public void AnUnknownNameListsWhatExists()
    {
        var error = Assert.Throws<DeviceNotFoundException>(() => Devices.Get("tpu:7"))!;
        Assert.That(error.Message, Does.Contain("tpu:7").And.Contain("cpu"));
    }

    [Test]
    public void EveryRuntimeReportsDevicesOrAReason()
    {
        Assert.That(Devices.Backends.Select(b => b.Backend), Does.Contain("CPU"));
        foreach (var backend in Devices.Backends)
            Assert.That(backend.DeviceCount > 0 || !string.IsNullOrWhiteSpace(backend.UnavailableReason), backend.Backend);
    }

    [Test]
    public void EveryDeviceNamesItsEngineAndWhy()
    {
        foreach (var device in Devices.All)
        {
            Assert.That(device.Engine.Name, Is.Not.Empty, device.Name);
            Assert.That(device.Engine.Reason, Is.Not.Empty, device.Name);
            var expected = device.Kind switch
            {
                DeviceKind.Cpu => Does.Contain("CPU engine"),
                DeviceKind.OpenCL => Does.Contain("OpenCL 1.2 engine").Or.Contains("ILGPU OpenCL"),
                _ => Does.Contain("ILGPU CUDA"),
            };
            Assert.That(device.Engine.Name, expected, device.Name);
        }
    }

    [Test]
    public void OnlyGpusWithADriverReportSensors()
        => Assert.That(Devices.All.Where(d => d.Kind != DeviceKind.Cuda).Select(d => d.ReadSensors()), Is.All.Null);

    [Test]
    public void SensorReadingsPrintOnlyWhatTheDriverGave()
    {
        Assert.That(new DeviceSensors(1755, null, 71.25, 34).ToString(), Is.EqualTo("SM clock 1755 MHz, 71.2 W, 34 °C"));
        Assert.That(new DeviceSensors(null, null, null, null).ToString(), Is.EqualTo("no sensor readings"));
    }
}
