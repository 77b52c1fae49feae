using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Conformance.Kernels;

/// <summary>y = a·x + y.</summary>
public struct SaxpyKernel : IKernel1D
{
    /// <summary>Input vector.</summary>
    public ArrayView<float> X;
    /// <summary>Input and output vector.</summary>
    public ArrayView<float> Y;
    /// <summary>Scale of <see cref="X"/>.</summary>
    public float A;

    /// <inheritdoc/>
    public void Execute(int index) => Y[index] = A * X[index] + Y[index];
}

/// <summary>Writes each point's own coordinates, to show a 2D launch covers its extent once.</summary>
public struct IndexGrid2DKernel : IKernel2D
{
    /// <summary>The output matrix: x dense, rows <c>YStride</c> apart.</summary>
    public ArrayView2D<int, Stride2D.DenseX> Output;

    /// <inheritdoc/>
    public void Execute(int x, int y) => Output[x, y] = y * 1000 + x;
}

/// <summary>Writes each point's own coordinates, to show a 3D launch covers its extent once.</summary>
public struct IndexGrid3DKernel : IKernel3D
{
    /// <summary>The output volume: x dense, then y, then z.</summary>
    public ArrayView3D<int, Stride3D.DenseXY> Output;

    /// <inheritdoc/>
    public void Execute(int x, int y, int z) => Output[x, y, z] = z * 1_000_000 + y * 1000 + x;
}

/// <summary>Sums each group's slice in shared memory by halving strides, one barrier per level.</summary>
public struct TreeReductionKernel : IGroupKernel
{
    /// <summary>Threads per group, and elements per group's slice.</summary>
    public const int GroupSize = 128;
    /// <summary>The values summed; the last group may be partial.</summary>
    public ArrayView<int> Input;
    /// <summary>One sum per group.</summary>
    public ArrayView<int> GroupSums;

    /// <inheritdoc/>
    public void Execute()
    {
        var partial = SharedMemory.Allocate<int>(GroupSize);
        int local = Group.IdxX;
        int global = Grid.IdxX * GroupSize + local;
        partial[local] = global < Input.Length ? Input[global] : 0;
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride /= 2)
        {
            if (local < stride)
                partial[local] += partial[local + stride];
            Group.Barrier();
        }
        if (local == 0)
            GroupSums[Grid.IdxX] = partial[0];
    }
}

/// <summary>Every index hammers a handful of counters with each kind of atomic.</summary>
public struct ContendedAtomicsKernel : IKernel1D
{
    /// <summary>Counters incremented by index modulo their count.</summary>
    public ArrayView<int> Counters;
    /// <summary>One element: the minimum of 1000 − index.</summary>
    public ArrayView<int> Minimum;
    /// <summary>One element: the maximum index.</summary>
    public ArrayView<int> Maximum;
    /// <summary>One element: 0.5 added per index.</summary>
    public ArrayView<float> FloatSum;

    /// <inheritdoc/>
    public void Execute(int index)
    {
        Atomic.Add(ref Counters[index % Counters.IntLength], 1);
        Atomic.Min(ref Minimum[0], 1000 - index);
        Atomic.Max(ref Maximum[0], index);
        Atomic.Add(ref FloatSum[0], 0.5f);
    }
}
