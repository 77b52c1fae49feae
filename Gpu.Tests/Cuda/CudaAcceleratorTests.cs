using Gpu.Core;
using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

/// <summary>CUDA-only behaviour: device figures, memory, pinned staging, streams and events. The
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
        TestContext.Out.WriteLine($"{device}: {device.ComputeUnits} SMs, {device.MemoryBytes >> 20} MiB, {device.PeakGflops:F0} GFLOP/s, {device.PeakGBps:F0} GB/s ({device.PeakSource})");
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
    public void PinnedStagingCopiesOnAStreamInOrder()
    {
        const int length = 1 << 20;
        using var upload = Accelerator.AllocatePinned<float>(length);
        using var download = Accelerator.AllocatePinned<float>(length);
        for (int i = 0; i < length; i++)
            upload.Span[i] = i * 0.5f;
        using var first = Accelerator.Allocate<float>(length);
        using var second = Accelerator.Allocate<float>(length);
        using var stream = CudaStream.Create(Accelerator);

        using var start = stream.Record();
        stream.CopyFromHostAsync(upload, first);
        stream.CopyAsync(first, second);
        stream.CopyToHostAsync(second, download);
        using var end = stream.Record();
        stream.Synchronize();

        Assert.That(download.Span.ToArray(), Is.EqualTo(upload.Span.ToArray()));
        Assert.That(end.MillisecondsSince(start), Is.Positive);
    }

    [Test]
    public void KernelTimerTimesLaunchesOnAStreamWithinTheStreamsEvents()
    {
        const int length = 1 << 20;
        float[] y = [.. Enumerable.Range(0, length).Select(i => (i % 9) * 0.25f)];
        using var ys = Accelerator.Allocate<float>(y);
        var doubling = new Gpu.Conformance.Kernels.SaxpyKernel { X = ys.ArrayView, Y = ys.ArrayView, A = 1f };
        using var stream = CudaStream.Create(Accelerator);
        stream.Launch(length, doubling);
        stream.Synchronize();

        using var timer = Accelerator.StartKernelTimer() ?? throw new AssertionException("a CUDA device has a device clock");
        using var start = stream.Record();
        stream.Launch(length, doubling);
        stream.Launch(length, doubling);
        using var end = stream.Record();
        var kernels = timer.Stop();
        double around = end.MillisecondsSince(start);

        TestContext.Out.WriteLine($"two kernels: {kernels.Elapsed.TotalMilliseconds:F4} ms of kernel time, {around:F4} ms between the stream's events");
        Assert.That(kernels.Kernels, Is.EqualTo(2));
        Assert.That(kernels.Elapsed, Is.GreaterThan(TimeSpan.Zero));
        // Each pair lies within the outer events; 2 µs covers the event clock's 0.5 µs resolution at four readings.
        Assert.That(kernels.Elapsed.TotalMilliseconds, Is.LessThanOrEqualTo(around + 0.002));
        Assert.That(ys.ToArray(), Is.EqualTo(y.Select(v => v * 8f)));
    }

    [Test]
    public void StreamsOrderedByAnEventSeeEachOthersWrites()
    {
        const int length = 4096;
        using var pinned = Accelerator.AllocatePinned<int>(length);
        using var result = Accelerator.AllocatePinned<int>(length);
        for (int i = 0; i < length; i++)
            pinned.Span[i] = length - i;
        using var buffer = Accelerator.Allocate<int>(length);
        using var producer = CudaStream.Create(Accelerator);
        using var consumer = CudaStream.Create(Accelerator);
        producer.CopyFromHostAsync(pinned, buffer);
        using var written = producer.Record();
        consumer.Wait(written);
        consumer.CopyToHostAsync(buffer, result);
        consumer.Synchronize();
        Assert.That(result.Span.ToArray(), Is.EqualTo(pinned.Span.ToArray()));
    }

    [Test]
    public void StreamCopiesCheckTheirRanges()
    {
        using var pinned = Accelerator.AllocatePinned<int>(10);
        using var small = Accelerator.Allocate<int>(5);
        using var stream = CudaStream.Create(Accelerator);
        Assert.That(() => stream.CopyFromHostAsync(pinned, small), Throws.ArgumentException);
        Assert.That(() => stream.CopyToHostAsync(small, pinned), Throws.ArgumentException);
    }

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
