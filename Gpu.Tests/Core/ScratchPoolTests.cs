using Gpu.Core;
using ILGPU;

namespace Gpu.Tests.Core;

/// <summary>The scratch memory an accelerator keeps between op calls (<see cref="Accelerator.RentScratch{T}"/>).</summary>
public sealed class ScratchPoolTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void ReturnedMemoryIsTakenAgainByTheNextRentOfItsSizeClass()
    {
        var pool = new ScratchPool(Accelerator, maxIdleBytes: 1 << 20);
        var first = pool.Take<float>(1000);
        pool.Return(first);
        Assert.That(pool.IdleBytes, Is.EqualTo(first.SizeInBytes));
        // 1000 and 1200 floats fall in one power-of-two class; 100 000 in another.
        Assert.That(pool.Take<float>(1200), Is.SameAs(first));
        Assert.That(pool.IdleBytes, Is.Zero);
        using var other = pool.Take<float>(100_000);
        Assert.That(other, Is.Not.SameAs(first));
        Assert.That(other.Length, Is.GreaterThanOrEqualTo(100_000));
    }

    [Test]
    public void IdleMemoryBeyondTheLimitIsFreed()
    {
        var pool = new ScratchPool(Accelerator, maxIdleBytes: 256 * 1024);
        var kept = pool.Take<float>(40_000);
        var freed = pool.Take<float>(40_000);
        pool.Return(kept);
        pool.Return(freed);
        Assert.That(kept.IsDisposed, Is.False);
        Assert.That(freed.IsDisposed, Is.True);
        Assert.That(pool.IdleBytes, Is.EqualTo(kept.SizeInBytes));
    }

    [Test]
    public void RentedViewsHoldExactlyWhatWasAskedAndReturnOnce()
    {
        var scratch = Accelerator.RentScratch<int>(37);
        Assert.That(scratch.View.Length, Is.EqualTo(37));
        long idle = Accelerator.Scratch.IdleBytes;
        scratch.Dispose();
        long returned = Accelerator.Scratch.IdleBytes;
        Assert.That(returned, Is.GreaterThan(idle));
        scratch.Dispose();
        Assert.That(Accelerator.Scratch.IdleBytes, Is.EqualTo(returned), "a second Dispose must not return the buffer twice");
        using var empty = Accelerator.RentScratch<int>(0);
        Assert.That(empty.View.Length, Is.Zero);
        Assert.That(() => Accelerator.RentScratch<int>(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void LaunchesQueuedOnReusedScratchSeeTheirOwnData()
    {
        // Two calls' worth of work on one scratch buffer, queued back to back without waiting: the second
        // renter's copy and launch run after the first's, so each result holds its own input.
        int[] first = Enumerable.Range(0, 4096).ToArray(), second = Enumerable.Range(0, 4096).Select(i => -i).ToArray();
        using var input = Accelerator.Allocate<int>(first.Length);
        using var firstOutput = Accelerator.Allocate<int>(first.Length);
        using var secondOutput = Accelerator.Allocate<int>(first.Length);
        foreach (var (data, output) in new[] { (first, firstOutput), (second, secondOutput) })
        {
            input.CopyFromHost(data);
            using var scratch = Accelerator.RentScratch<int>(data.Length);
            Accelerator.Launch(data.Length, new IntCopyKernel { Source = input.View, Target = scratch.View });
            Accelerator.Launch(data.Length, new IntCopyKernel { Source = scratch.View, Target = output.View });
        }
        Assert.That(firstOutput.ToArray(), Is.EqualTo(first));
        Assert.That(secondOutput.ToArray(), Is.EqualTo(second));
    }

    [Test]
    public void ScratchReturnedAfterTheAcceleratorIsDisposedIsDropped()
    {
        var accelerator = OpenAccelerator();
        var scratch = accelerator.RentScratch<float>(16);
        accelerator.Dispose();
        Assert.That(scratch.Dispose, Throws.Nothing);
        Assert.That(() => accelerator.RentScratch<float>(16), Throws.InstanceOf<ObjectDisposedException>());
    }
}

/// <summary>Copies one element per index.</summary>
public struct IntCopyKernel : IKernel1D
{
    /// <summary>Read.</summary>
    public ArrayView<int> Source;
    /// <summary>Written.</summary>
    public ArrayView<int> Target;

    /// <summary>Copies element <paramref name="index"/>.</summary>
    public void Execute(int index) => Target[index] = Source[index];
}
