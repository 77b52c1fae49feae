using Gpu.Core;

namespace Gpu.Tests.Core;

public struct SaxpyKernel : IKernel1D
{
    public View<float> X;
    public View<float> Y;
    public float A;

    public void Execute(int index) => Y[index] = A * X[index] + Y[index];
}

public struct IndexGrid2DKernel : IKernel2D
{
    public View2D<int> Output;

    public void Execute(int x, int y) => Output[y, x] = y * 1000 + x;
}

public struct IndexGrid3DKernel : IKernel3D
{
    public View3D<int> Output;

    public void Execute(int x, int y, int z) => Output[z, y, x] = z * 1_000_000 + y * 1000 + x;
}

/// <summary>Sums each group's slice in shared memory by halving strides, one barrier per level.</summary>
public struct TreeReductionKernel : IGroupKernel
{
    public const int GroupSize = 128;
    public View<int> Input;
    public View<int> GroupSums;

    public void Execute()
    {
        var partial = SharedMemory.Allocate<int>(GroupSize);
        int local = Group.ThreadX;
        int global = Group.IndexX * GroupSize + local;
        partial[local] = global < Input.Length ? Input[global] : 0;
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride /= 2)
        {
            if (local < stride)
                partial[local] += partial[local + stride];
            Group.Barrier();
        }
        if (local == 0)
            GroupSums[Group.IndexX] = partial[0];
    }
}

/// <summary>Every index hammers a handful of counters.</summary>
public struct ContendedAtomicsKernel : IKernel1D
{
    public View<int> Counters;
    public View<int> Minimum;
    public View<int> Maximum;
    public View<float> FloatSum;

    public void Execute(int index)
    {
        Atomic.Add(Counters, index % Counters.Length, 1);
        Atomic.Min(Minimum, 0, 1000 - index);
        Atomic.Max(Maximum, 0, index);
        Atomic.Add(FloatSum, 0, 0.5f);
    }
}

public sealed class LaunchTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(1)]
    [TestCase(1000)]
    [TestCase(100_003)]
    public void Saxpy1DMatchesHostArithmetic(int length)
    {
        var x = Enumerable.Range(0, length).Select(i => i * 0.25f).ToArray();
        var y = Enumerable.Range(0, length).Select(i => 1f - i).ToArray();
        using var xBuffer = Accelerator.Allocate<float>(x);
        using var yBuffer = Accelerator.Allocate<float>(y);
        Accelerator.Launch(length, new SaxpyKernel { X = xBuffer.View, Y = yBuffer.View, A = 3f });
        var result = yBuffer.ToArray();
        for (int i = 0; i < length; i++)
            Assert.That(result[i], Is.EqualTo(3f * x[i] + y[i]), $"index {i}");
    }

    [Test]
    public void Launch2DCoversEveryPointOnceWithStride()
    {
        const int width = 37, height = 19, stride = 40;
        using var buffer = Accelerator.Allocate<int>(stride * height);
        buffer.CopyFromHost(Enumerable.Repeat(-1, stride * height).ToArray());
        Accelerator.Launch(width, height, new IndexGrid2DKernel { Output = buffer.View.As2D(height, width, stride) });
        var result = buffer.ToArray();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < stride; x++)
                Assert.That(result[y * stride + x], Is.EqualTo(x < width ? y * 1000 + x : -1), $"({x}, {y})");
    }

    [Test]
    public void Launch3DCoversEveryPointOnce()
    {
        const int width = 5, height = 7, depth = 3;
        using var buffer = Accelerator.Allocate<int>(width * height * depth);
        Accelerator.Launch(width, height, depth, new IndexGrid3DKernel { Output = buffer.View.As3D(depth, height, width) });
        var result = buffer.ToArray();
        for (int z = 0; z < depth; z++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    Assert.That(result[(z * height + y) * width + x], Is.EqualTo(z * 1_000_000 + y * 1000 + x));
    }

    [Test]
    public void GroupedTreeReductionUsesSharedMemoryAndBarriers()
    {
        const int groups = 6;
        int length = groups * TreeReductionKernel.GroupSize - 17;
        var input = Enumerable.Range(0, length).Select(i => (i * 7919) % 1001 - 500).ToArray();
        using var inputBuffer = Accelerator.Allocate<int>(input);
        using var sums = Accelerator.Allocate<int>(groups);
        Accelerator.LaunchGrouped(new GroupedExtent(groups, TreeReductionKernel.GroupSize),
            new TreeReductionKernel { Input = inputBuffer.View, GroupSums = sums.View });
        var expected = Enumerable.Range(0, groups)
            .Select(g => input.Skip(g * TreeReductionKernel.GroupSize).Take(TreeReductionKernel.GroupSize).Sum());
        Assert.That(sums.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void AtomicsUnderContentionLoseNoUpdate()
    {
        const int length = 200_000, counters = 7;
        using var counterBuffer = Accelerator.Allocate<int>(new int[counters]);
        using var minimum = Accelerator.Allocate<int>([int.MaxValue]);
        using var maximum = Accelerator.Allocate<int>([int.MinValue]);
        using var floatSum = Accelerator.Allocate<float>([0f]);
        Accelerator.Launch(length, new ContendedAtomicsKernel
        {
            Counters = counterBuffer.View, Minimum = minimum.View, Maximum = maximum.View, FloatSum = floatSum.View,
        });
        var expectedCounts = Enumerable.Range(0, counters).Select(c => Enumerable.Range(0, length).Count(i => i % counters == c));
        Assert.That(counterBuffer.ToArray(), Is.EqualTo(expectedCounts));
        Assert.That(minimum.ToArray()[0], Is.EqualTo(1000 - (length - 1)));
        Assert.That(maximum.ToArray()[0], Is.EqualTo(length - 1));
        // 0.5 steps are exact in float up to 2^23, so the sum has no rounding to excuse.
        Assert.That(floatSum.ToArray()[0], Is.EqualTo(length * 0.5f));
    }

    [Test]
    public void GroupLargerThanTheDeviceAllowsIsRejected()
    {
        var extent = new GroupedExtent(1, Accelerator.Device.MaxGroupSize + 1);
        Assert.That(() => Accelerator.LaunchGrouped(extent, new TreeReductionKernel()),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("exceeds"));
    }
}
