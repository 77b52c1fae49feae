using System.Reflection;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Cpu;
using Gpu.Tests.Compiler;
using Gpu.Core.Compiler;
using ILGPU;
using ILGPU.Runtime;
using Accelerator = Gpu.Core.Accelerator;

namespace Gpu.Tests.Core;

/// <summary>The CPU engine's specialised loops (<see cref="KernelLoopCompiler"/>): kernels on ILGPU views give
/// the results a plain host computation gives, each index sees a fresh copy of the struct, an index outside a
/// view throws instead of touching memory, and bodies the rewrite refuses still run through the plain loop.</summary>
public sealed class CpuKernelLoopTests
{
    private Accelerator accelerator = null!;

    [OneTimeSetUp]
    public void Open() => accelerator = Devices.Open("cpu");

    [OneTimeTearDown]
    public void Close() => accelerator.Dispose();

    public struct Pair
    {
        public int A;
        public short B;
    }

    /// <summary>Views of several element types, indexed by int, long, Index1D and LongIndex1D.</summary>
    public struct MixedViewsKernel : IKernel1D
    {
        public ArrayView<byte> Bytes;
        public ArrayView<short> Shorts;
        public ArrayView<long> Longs;
        public ArrayView<double> Doubles;
        public ArrayView<Pair> Pairs;
        public ArrayView<double> Output;

        public void Execute(int index)
        {
            var pair = Pairs[new LongIndex1D(index)];
            Output[new Index1D(index)] = Bytes[index] + Shorts[(long)index] * 3 + Longs[index] * 0.5 + Doubles[index] + pair.A - pair.B;
            Pairs[index].B = (short)index;
        }
    }

    [TestCase(5)]
    [TestCase(10_000)] // above the engine's parallel threshold
    public void ViewsOfSeveralElementTypesGiveTheHostResult(int length)
    {
        var random = new Random(length);
        byte[] bytes = [.. Enumerable.Range(0, length).Select(_ => (byte)random.Next(256))];
        short[] shorts = [.. Enumerable.Range(0, length).Select(_ => (short)random.Next(-30000, 30000))];
        long[] longs = [.. Enumerable.Range(0, length).Select(_ => random.NextInt64(-1L << 40, 1L << 40))];
        double[] doubles = [.. Enumerable.Range(0, length).Select(_ => random.NextDouble())];
        Pair[] pairs = [.. Enumerable.Range(0, length).Select(_ => new Pair { A = random.Next(), B = (short)random.Next(-100, 100) })];
        using var b = accelerator.Allocate(bytes);
        using var s = accelerator.Allocate(shorts);
        using var l = accelerator.Allocate(longs);
        using var d = accelerator.Allocate(doubles);
        using var p = accelerator.Allocate(pairs);
        using var output = accelerator.Allocate<double>(length);
        accelerator.Launch(length, new MixedViewsKernel { Bytes = b.View, Shorts = s.View, Longs = l.View, Doubles = d.View, Pairs = p.View, Output = output.View });
        Assert.That(KernelLoop1D<MixedViewsKernel>.Refusal, Is.Null);
        Assert.That(output.ToArray(), Is.EqualTo(Enumerable.Range(0, length)
            .Select(i => bytes[i] + shorts[i] * 3 + longs[i] * 0.5 + doubles[i] + pairs[i].A - pairs[i].B)));
        Assert.That(p.ToArray().Select(pair => (int)pair.B), Is.EqualTo(Enumerable.Range(0, length).Select(i => (int)(short)i)));
    }

    /// <summary>Reverses a sub-view into another sub-view: the views start inside their buffers.</summary>
    public struct ReverseKernel : IKernel1D
    {
        public ArrayView<int> Input;
        public ArrayView<int> Output;

        public void Execute(int index) => Output[index] = Input[(int)Input.Length - 1 - index];
    }

    [Test]
    public void SubViewsWithOffsetsReadAndWriteTheirOwnElements()
    {
        int[] data = [.. Enumerable.Range(100, 20)];
        using var input = accelerator.Allocate(data);
        // Filled, so elements outside the output sub-view can be checked untouched.
        using var output = accelerator.Allocate(Enumerable.Repeat(-1, 20).ToArray());
        accelerator.Launch(12, new ReverseKernel { Input = input.View.SubView(3, 12), Output = output.View.SubView(5, 12) });
        Assert.That(KernelLoop1D<ReverseKernel>.Refusal, Is.Null);
        int[] expected = [.. Enumerable.Repeat(-1, 20)];
        for (int i = 0; i < 12; i++)
            expected[5 + i] = data[3 + 11 - i];
        Assert.That(output.ToArray(), Is.EqualTo(expected));
    }

    /// <summary>A 2D kernel on a strided 2D view, indexed both ways, and a 1D view read at a computed index.</summary>
    public struct Scale2DKernel : IKernel2D
    {
        public ArrayView2D<float, Stride2D.DenseX> Matrix;
        public ArrayView<float> RowScale;

        public void Execute(int x, int y) => Matrix[x, y] = Matrix[new Index2D(x, y)] * RowScale[y] + x;
    }

    [Test]
    public void TwoDimensionalViewsWithPaddedRowsGiveTheHostResult()
    {
        const int width = 7, height = 5, stride = 9;
        float[] data = [.. Enumerable.Range(0, stride * height).Select(i => i * 0.25f)];
        float[] scales = [.. Enumerable.Range(0, height).Select(y => 1f + y)];
        using var matrix = accelerator.Allocate(data);
        using var rowScale = accelerator.Allocate(scales);
        accelerator.Launch(width, height, new Scale2DKernel { Matrix = Matrix(matrix, width, height, stride), RowScale = rowScale.View });
        Assert.That(KernelLoop2D<Scale2DKernel>.Refusal, Is.Null);
        float[] expected = [.. data];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                expected[y * stride + x] = data[y * stride + x] * scales[y] + x;
        Assert.That(matrix.ToArray(), Is.EqualTo(expected));
    }

    /// <summary>A 3D kernel writing each point's coordinates through a dense 3D view.</summary>
    public struct Coordinates3DKernel : IKernel3D
    {
        public ArrayView3D<int, Stride3D.DenseXY> Output;

        public void Execute(int x, int y, int z) => Output[x, y, z] = x + 10 * y + 100 * z + Output[new Index3D(x, y, z)];
    }

    [Test]
    public void ThreeDimensionalViewsGiveTheHostResult()
    {
        const int width = 4, height = 3, depth = 6;
        int[] data = [.. Enumerable.Range(0, width * height * depth).Select(i => i * 1000)];
        using var buffer = accelerator.Allocate(data);
        var view = ((ArrayView1D<int, Stride1D.Dense>)buffer.View).As3DView(new LongIndex3D(width, height, depth), new Stride3D.DenseXY(width, width * height));
        accelerator.Launch(width, height, depth, new Coordinates3DKernel { Output = view });
        Assert.That(KernelLoop3D<Coordinates3DKernel>.Refusal, Is.Null);
        Assert.That(buffer.ToArray(), Is.EqualTo(Enumerable.Range(0, data.Length)
            .Select(i => data[i] + i % width + 10 * (i / width % height) + 100 * (i / (width * height)))));
    }

    /// <summary>Writes its own fields and its index argument: every index must start from the launched values.</summary>
    public struct SelfMutatingKernel : IKernel1D
    {
        public ArrayView<int> Output;
        public int Counter;

        public void Execute(int index)
        {
            Counter += index;
            index *= 2;
            int unassignedUntilHere;
            unassignedUntilHere = Counter;
            Output[index / 2] = unassignedUntilHere + index;
        }
    }

    [TestCase(10)]
    [TestCase(5000)]
    public void EachIndexRunsOnAFreshCopyOfTheStruct(int length)
    {
        using var output = accelerator.Allocate<int>(length);
        accelerator.Launch(length, new SelfMutatingKernel { Output = output.View, Counter = 7 });
        Assert.That(KernelLoop1D<SelfMutatingKernel>.Refusal, Is.Null);
        Assert.That(output.ToArray(), Is.EqualTo(Enumerable.Range(0, length).Select(i => 7 + 3 * i)));
    }

    /// <summary>Reads views inside a helper method, which the rewrite leaves to ILGPU's indexer.</summary>
    public struct HelperKernel : IKernel1D
    {
        public ArrayView<float> Input;
        public ArrayView<float> Output;

        public void Execute(int index) => Output[index] = Sum(Input, index) + Input[index];

        private static float Sum(ArrayView<float> view, int upTo)
        {
            float sum = 0;
            for (int i = 0; i <= upTo; i++)
                sum += view[i];
            return sum;
        }
    }

    [Test]
    public void ViewsIndexedInCalledMethodsStillWork()
    {
        float[] data = [1, 2, 3, 4, 5];
        using var input = accelerator.Allocate(data);
        using var output = accelerator.Allocate<float>(5);
        accelerator.Launch(5, new HelperKernel { Input = input.View, Output = output.View });
        Assert.That(KernelLoop1D<HelperKernel>.Refusal, Is.Null);
        Assert.That(output.ToArray(), Is.EqualTo(new float[] { 2, 5, 9, 14, 20 }));
    }

    /// <summary>A generic kernel struct: the rewrite resolves its members for the instantiated type.</summary>
    public struct GenericCopyKernel<T> : IKernel1D where T : unmanaged
    {
        public ArrayView<T> Input;
        public ArrayView<T> Output;

        public void Execute(int index) => Output[index] = Input[Input.IntLength - 1 - index];
    }

    [Test]
    public void GenericKernelStructsAreRewrittenForTheirTypeArguments()
    {
        using var input = accelerator.Allocate<ulong>([1, 2, ulong.MaxValue]);
        using var output = accelerator.Allocate<ulong>(3);
        accelerator.Launch(3, new GenericCopyKernel<ulong> { Input = input.View, Output = output.View });
        Assert.That(KernelLoop1D<GenericCopyKernel<ulong>>.Refusal, Is.Null);
        Assert.That(output.ToArray(), Is.EqualTo(new ulong[] { ulong.MaxValue, 2, 1 }));
    }

    /// <summary>An exception handler in Execute: the rewrite refuses it and the plain loop runs it.</summary>
    public struct GuardedKernel : IKernel1D
    {
        public ArrayView<int> Divisors;
        public ArrayView<int> Output;

        public void Execute(int index)
        {
            try
            {
                Output[index] = 100 / Divisors[index];
            }
            catch (DivideByZeroException)
            {
                Output[index] = -1;
            }
        }
    }

    /// <summary>A stack allocation in Execute, which would grow the stack at every index of one loop.</summary>
    public struct StackAllocatingKernel : IKernel1D
    {
        public ArrayView<int> Output;

        public void Execute(int index)
        {
            Span<int> scratch = stackalloc int[4];
            for (int i = 0; i < scratch.Length; i++)
                scratch[i] = index * i;
            Output[index] = scratch[3];
        }
    }

    [Test]
    public void RefusedBodiesRunThroughThePlainLoop()
    {
        using var divisors = accelerator.Allocate<int>([5, 0, 7, 0]);
        using var output = accelerator.Allocate<int>(4);
        accelerator.Launch(4, new GuardedKernel { Divisors = divisors.View, Output = output.View });
        Assert.That(KernelLoop1D<GuardedKernel>.Refusal, Does.Contain("exception handlers"));
        Assert.That(output.ToArray(), Is.EqualTo(new[] { 20, -1, 14, -1 }));

        accelerator.Launch(4, new StackAllocatingKernel { Output = output.View });
        Assert.That(KernelLoop1D<StackAllocatingKernel>.Refusal, Does.Contain("localloc"));
        Assert.That(output.ToArray(), Is.EqualTo(new[] { 0, 3, 6, 9 }));
    }

    /// <summary>Writes one element past its index: the last index is outside the view.</summary>
    public struct ShiftKernel : IKernel1D
    {
        public ArrayView<int> Output;

        public void Execute(int index) => Output[index + 1] = index;
    }

    [TestCase(8)]
    [TestCase(8192)]
    public void AnIndexOutsideTheViewThrowsAndLeavesTheMemoryAfterItAlone(int length)
    {
        // The view ends one element before its buffer does: that element must stay as it was.
        using var buffer = accelerator.Allocate(Enumerable.Repeat(-5, length + 1).ToArray());
        Assert.That(() => accelerator.Launch(length, new ShiftKernel { Output = buffer.View.SubView(0, length) }),
            Throws.InstanceOf<IndexOutOfRangeException>().With.Message.Contains($"Index {length} is outside a view of {length} elements"));
        Assert.That(buffer.ToArray()[length], Is.EqualTo(-5));
    }

    /// <summary>A 2D view indexed past its row width, which still lies inside its base view.</summary>
    public struct RowOverrunKernel : IKernel2D
    {
        public ArrayView2D<float, Stride2D.DenseX> Matrix;

        public void Execute(int x, int y) => Matrix[x + 1, y] = 1f;
    }

    [Test]
    public void ACoordinateOutsideA2DViewsExtentThrows()
    {
        using var buffer = accelerator.Allocate<float>(4 * 3);
        Assert.That(() => accelerator.Launch(4, 3, new RowOverrunKernel { Matrix = Matrix(buffer, 4, 3, 4) }),
            Throws.InstanceOf<IndexOutOfRangeException>().With.Message.Contains("outside a view of extent"));
    }

    [Test]
    public void AViewOfAnotherAcceleratorIsStillRefused()
    {
        using var other = Devices.Open("cpu");
        using var foreign = other.Allocate<int>(4);
        Assert.That(() => accelerator.Launch(4, new ShiftKernel { Output = foreign.View }),
            Throws.ArgumentException.With.Message.Contains("another accelerator"));
    }

    private static ArrayView2D<float, Stride2D.DenseX> Matrix(DeviceBuffer<float> buffer, int width, int height, int rowStride)
        => ((ArrayView1D<float, Stride1D.Dense>)buffer.View).As2DView(new LongIndex2D(width, height), new Stride2D.DenseX(rowStride));

    /// <summary>Every 1D, 2D and 3D kernel struct of the conformance corpus and of Gpu.Ops.</summary>
    public static IEnumerable<TestCaseData> CorpusKernels => KernelArgumentsTests.CorpusKernels
        .Where(data => (KernelShape)data.Arguments[1]! != KernelShape.Grouped);

    [TestCaseSource(nameof(CorpusKernels))]
    public void EveryCorpusAndOpsKernelGetsASpecialisedLoop(Type kernelType, KernelShape shape)
    {
        var holder = (shape switch { KernelShape.OneD => typeof(KernelLoop1D<>), KernelShape.TwoD => typeof(KernelLoop2D<>), _ => typeof(KernelLoop3D<>) })
            .MakeGenericType(kernelType);
        string? refusal = (string?)holder.GetProperty(nameof(KernelLoop1D<SaxpyKernel>.Refusal), BindingFlags.Public | BindingFlags.Static)!.GetValue(null);
        Assert.That(refusal, Is.Null);
    }
}
