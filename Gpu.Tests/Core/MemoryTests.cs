using Gpu.Conformance.Kernels;
using Gpu.Core;

namespace Gpu.Tests.Core;

public sealed class MemoryTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void EveryElementTypeRoundTrips()
    {
        RoundTrip(new[] { 1.5f, -0f, float.NaN, float.NegativeInfinity, float.Epsilon });
        RoundTrip(new[] { Math.PI, double.MinValue });
        RoundTrip(new[] { (Half)0.1f, Half.MaxValue });
        RoundTrip(new sbyte[] { sbyte.MinValue, -1, 0, sbyte.MaxValue });
        RoundTrip(new byte[] { 0, 128, 255 });
        RoundTrip(new short[] { short.MinValue, short.MaxValue });
        RoundTrip(new ushort[] { 0, ushort.MaxValue });
        RoundTrip(new[] { int.MinValue, -1, int.MaxValue });
        RoundTrip(new[] { uint.MaxValue, 0u });
        RoundTrip(new[] { long.MinValue, long.MaxValue });
        RoundTrip(new[] { ulong.MaxValue });
    }

    private void RoundTrip<T>(T[] data) where T : unmanaged
    {
        using var buffer = Accelerator.Allocate<T>(data);
        Assert.That(buffer.ToArray(), Is.EqualTo(data), typeof(T).Name);
    }

    [Test]
    public void SubRangeCopiesTouchOnlyTheirRange()
    {
        using var buffer = Accelerator.Allocate<int>(Enumerable.Range(0, 10).ToArray());
        buffer.CopyFromHost([100, 101, 102], destinationOffset: 4);
        var middle = new int[5];
        buffer.CopyToHost(middle, sourceOffset: 3);
        Assert.That(middle, Is.EqualTo(new[] { 3, 100, 101, 102, 7 }));
        Assert.That(buffer.ToArray(), Is.EqualTo(new[] { 0, 1, 2, 3, 100, 101, 102, 7, 8, 9 }));
    }

    [Test]
    public void ClearAndDeviceToDeviceCopy()
    {
        using var source = Accelerator.Allocate<float>([1f, 2f, 3f]);
        using var destination = Accelerator.Allocate<float>(3);
        source.CopyTo(destination);
        source.Clear();
        Assert.That(destination.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }));
        Assert.That(source.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }));
    }

    [Test]
    public void SizeMismatchesAreArgumentErrors()
    {
        using var buffer = Accelerator.Allocate<int>(4);
        Assert.That(() => buffer.CopyFromHost(new int[5]), Throws.ArgumentException.With.Message.Contains("do not fit"));
        Assert.That(() => buffer.CopyFromHost(new int[2], destinationOffset: 3), Throws.ArgumentException);
        Assert.That(() => buffer.CopyToHost(new int[5]), Throws.ArgumentException);
        Assert.That(() => buffer.CopyToHost(new int[1], sourceOffset: -1), Throws.ArgumentException);
        using var other = Accelerator.Allocate<int>(5);
        Assert.That(() => buffer.CopyTo(other), Throws.ArgumentException.With.Message.Contains("4 elements into a buffer of 5"));
        Assert.That(() => Accelerator.Allocate<int>(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void UseAfterDisposeIsObjectDisposed()
    {
        var buffer = Accelerator.Allocate<int>(4);
        buffer.Dispose();
        buffer.Dispose();
        Assert.That(buffer.IsDisposed, Is.True);
        Assert.That(() => buffer.ToArray(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => buffer.View, Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => buffer.CopyFromHost([1]), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => buffer.Clear(), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void PinnedBuffersHoldDataAndRejectUseAfterDispose()
    {
        var pinned = Accelerator.AllocatePinned<float>(16);
        pinned.Span.Fill(2.5f);
        using (var buffer = Accelerator.Allocate<float>(16))
        {
            buffer.CopyFromHost(pinned.Span);
            Assert.That(buffer.ToArray(), Is.All.EqualTo(2.5f));
        }
        pinned.Dispose();
        Assert.That(() => pinned.Span.Length, Throws.InstanceOf<ObjectDisposedException>());
    }
}

public sealed class AcceleratorLifetimeTests
{
    [Test]
    public void DisposingTheAcceleratorFreesItsBuffersAndRejectsLaterUse()
    {
        var accelerator = Devices.Open("cpu");
        var buffer = accelerator.Allocate<int>(8);
        accelerator.Dispose();
        Assert.That(buffer.IsDisposed, Is.True);
        Assert.That(() => accelerator.Allocate<int>(1), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => accelerator.Launch(1, new SaxpyKernel()), Throws.InstanceOf<ObjectDisposedException>());
    }
}
