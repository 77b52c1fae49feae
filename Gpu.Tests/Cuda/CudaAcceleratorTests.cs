using Gpu.Core;
using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

/// <summary>CUDA-only behaviour: device figures, the engine and sensors, memory. The
/// launch tests shared by every device live in <c>Core/LaunchTests</c>.</summary>
[TestFixtureSource(typeof(CudaTestDevices), nameof(CudaTestDevices.Fixtures))]
public sealed class CudaAcceleratorTests(string deviceName)
{
    private Accelerator? accelerator;

    private Accelerator Accelerator => accelerator ?? throw new InvalidOperationException("The fixture has not opened its device.");

    [OneTimeSetUp]
    public void OpenDevice() => accelerator = Devices.Open(deviceName);

    [OneTimeTearDown]
    public void CloseDevice() => accelerator?.Dispose();

    [Test]
    public void DeviceFiguresAreThoseOfAnNvidiaGpu()
    {
        var device = Accelerator.Device;
        Assert.That(device.Kind, Is.EqualTo(DeviceKind.Cuda));
        Assert.That(device.Hardware, Is.EqualTo(DeviceHardware.Gpu));
        Assert.That(device.SimdWidth, Is.EqualTo(32));
        Assert.That(device.ComputeUnits, Is.Positive);
        Assert.That(device.MaxGroupSize, Is.GreaterThanOrEqualTo(1024));
        Assert.That(device.SharedMemoryPerGroup, Is.GreaterThanOrEqualTo(48 * 1024));
        Assert.That(device.MemoryBytes, Is.GreaterThan(1L << 30));
        Assert.That(device.DisplayName, Is.Not.Empty);
        Assert.That(device.PeakSource, Does.Contain("SMs"));
        Assert.That(device.Engine.Name, Does.Contain("ILGPU CUDA"));
        TestContext.Out.WriteLine($"{device}: {device.ComputeUnits} SMs, {device.MemoryBytes >> 20} MiB, {device.PeakGflops:F0} GFLOP/s, {device.PeakGBps:F0} GB/s ({device.PeakSource})");
    }

    [Test]
    public void NvmlReportsClocksAndTemperature()
    {
        var sensors = Accelerator.Device.ReadSensors();
        Assert.That(sensors, Is.Not.Null, "NVML ships with the NVIDIA driver, so a CUDA device must have it");
        Assert.That(sensors!.GraphicsClockMHz, Is.Positive);
        Assert.That(sensors.TemperatureCelsius, Is.InRange(1, 120));
        TestContext.Out.WriteLine($"{Accelerator.Device.Name}: {sensors}");
    }

    [Test]
    public void BufferRoundTripsThroughTheDevice()
    {
        var data = Enumerable.Range(0, 100_003).Select(i => i * 3 - 7).ToArray();
        using var buffer = Accelerator.Allocate<int>(data);
        using var copy = Accelerator.Allocate<int>(data.Length);
        buffer.CopyTo(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(data));
        var part = new int[10];
        copy.CopyToHost(part, sourceOffset: 500);
        Assert.That(part, Is.EqualTo(data.Skip(500).Take(10)));
        copy.Clear();
        Assert.That(copy.ToArray(), Is.All.Zero);
    }

    [Test]
    public void EmptyBufferIsAllowed()
    {
        using var empty = Accelerator.Allocate<float>(0);
        Assert.That(empty.ToArray(), Is.Empty);
    }

    [Test]
    public void AllocationLargerThanTheDeviceIsOutOfMemory()
        => Assert.That(() => Accelerator.Allocate<byte>(Accelerator.Device.MemoryBytes * 2),
            Throws.InstanceOf<DeviceOutOfMemoryException>().With.Property(nameof(GpuException.ErrorName)).EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));

    [Test]
    public void DeviceWorksFromAnyThread()
    {
        using var buffer = Accelerator.Allocate<int>(256);
        // LongRunning gives each writer a fresh thread on which no context has ever been current.
        var writers = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            buffer.CopyFromHost(Enumerable.Repeat(t, 64).ToArray(), t * 64);
            Accelerator.Synchronize();
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(writers);
        Assert.That(buffer.ToArray(), Is.EqualTo(Enumerable.Range(0, 256).Select(i => i / 64)));
    }
}
