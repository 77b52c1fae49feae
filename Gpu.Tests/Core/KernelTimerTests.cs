using System.Diagnostics;
using Gpu.Conformance.Kernels;
using Gpu.Core;

namespace Gpu.Tests.Core;

/// <summary><see cref="Accelerator.StartKernelTimer"/> on every device: engines with a device clock
/// (OpenCL, CUDA) time a real kernel within the wall time of the same region; the CPU engine has none.</summary>
public sealed class KernelTimerTests(string deviceName) : DeviceTest(deviceName)
{
    private const int Length = 1 << 20;

    private bool HasDeviceClock => Accelerator.Device.Kind is DeviceKind.OpenCL or DeviceKind.Cuda;

    [Test]
    public void SaxpyKernelTimeIsPositiveAndWithinTheWallTime()
    {
        float[] x = [.. Enumerable.Range(0, Length).Select(i => (i % 1000) * 0.5f)], y = [.. Enumerable.Range(0, Length).Select(i => (i % 7) - 3f)];
        using var xs = Accelerator.Allocate<float>(x);
        using var ys = Accelerator.Allocate<float>(y);
        var saxpy = new SaxpyKernel { X = xs.View, Y = ys.View, A = 2f };
        // Built and run once untimed, so that the region holds one plain launch.
        Accelerator.Launch(Length, saxpy);
        Accelerator.Synchronize();

        using var timer = Accelerator.StartKernelTimer();
        if (!HasDeviceClock)
        {
            Assert.That(timer, Is.Null, $"{DeviceName} runs kernels as host code: it has no device clock to read");
            return;
        }
        Assert.That(timer, Is.Not.Null, $"{DeviceName} should time its kernels on the device");
        long start = Stopwatch.GetTimestamp();
        Accelerator.Launch(Length, saxpy);
        Accelerator.Synchronize();
        var wall = Stopwatch.GetElapsedTime(start);
        var kernel = timer!.Stop();

        TestContext.Out.WriteLine($"{DeviceName}: saxpy of {Length:N0}: kernel {kernel.Elapsed.TotalMilliseconds:F3} ms, wall {wall.TotalMilliseconds:F3} ms");
        Assert.That(kernel.Kernels, Is.EqualTo(1));
        Assert.That(kernel.Elapsed, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(kernel.Elapsed, Is.LessThanOrEqualTo(wall));
        // The timed run computed y = a·x + y twice over (the untimed run and the timed one).
        float[] expected = [.. y.Select((value, i) => 2f * x[i] + (2f * x[i] + value))];
        Assert.That(ys.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void OnlyTheRegionsKernelsAreCounted()
    {
        using var ys = Accelerator.Allocate<float>(new float[1024]);
        var saxpy = new SaxpyKernel { X = ys.View, Y = ys.View, A = 1f };
        Accelerator.Launch(1024, saxpy);
        using var timer = Accelerator.StartKernelTimer();
        if (timer is null)
        {
            Assert.That(HasDeviceClock, Is.False, $"{DeviceName} returned no timer although it has a device clock");
            return;
        }
        for (int i = 0; i < 3; i++)
            Accelerator.Launch(1024, saxpy);
        var kernels = timer.Stop();
        Accelerator.Launch(1024, saxpy);
        Accelerator.Synchronize();
        Assert.That(kernels.Kernels, Is.EqualTo(3));
        Assert.That(kernels.Elapsed, Is.GreaterThan(TimeSpan.Zero));
    }

    [Test]
    public void OneRegionAtATimeAndEachEndsOnce()
    {
        var first = Accelerator.StartKernelTimer();
        if (first is null)
        {
            Assert.That(HasDeviceClock, Is.False, $"{DeviceName} returned no timer although it has a device clock");
            return;
        }
        using (first)
        {
            Assert.That(() => Accelerator.StartKernelTimer(), Throws.InvalidOperationException.With.Message.Contains("already open"));
            Assert.That(first.Stop().Kernels, Is.Zero);
            Assert.That(() => first.Stop(), Throws.InvalidOperationException);
        }
        using var second = Accelerator.StartKernelTimer();
        Assert.That(second, Is.Not.Null);
        second!.Dispose();
        Assert.That(() => second.Stop(), Throws.InvalidOperationException);
        using var third = Accelerator.StartKernelTimer();
        Assert.That(third, Is.Not.Null, "disposing a timer ends its region");
    }

    [Test]
    public void DisposingTheAcceleratorEndsAnOpenRegion()
    {
        var accelerator = OpenAccelerator();
        KernelTimer? timer;
        using (var ys = accelerator.Allocate<float>(new float[64]))
        {
            timer = accelerator.StartKernelTimer();
            accelerator.Launch(64, new SaxpyKernel { X = ys.View, Y = ys.View, A = 1f });
        }
        accelerator.Dispose();
        if (timer is null)
            Assert.That(HasDeviceClock, Is.False, $"{DeviceName} returned no timer although it has a device clock");
        else
            Assert.That(() => timer.Stop(), Throws.InvalidOperationException);
    }
}
