using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Conformance.Corpus;

// Grouped kernels (group and thread indices, shared memory, barriers) and atomics, in ILGPU's terms:
// Grid.IdxX is the group's index and Grid.DimX the number of groups; Group.IdxX is the thread's index
// in its group and Group.DimX the threads per group.

/// <summary>Every thread writes every Group value it sees, in a 3D grouped launch.</summary>
internal struct GroupIndexKernel : IGroupKernel
{
    public const int Fields = 12;
    public ArrayView<int> Unused;
    public ArrayView<int> Output;

    public void Execute()
    {
        int localLinear = (Group.IdxZ * Group.DimY + Group.IdxY) * Group.DimX + Group.IdxX;
        int groupLinear = (Grid.IdxZ * Grid.DimY + Grid.IdxY) * Grid.DimX + Grid.IdxX;
        int k = (groupLinear * Group.DimX * Group.DimY * Group.DimZ + localLinear) * Fields;
        Output[k] = Grid.IdxX;
        Output[k + 1] = Grid.IdxY;
        Output[k + 2] = Grid.IdxZ;
        Output[k + 3] = Group.IdxX;
        Output[k + 4] = Group.IdxY;
        Output[k + 5] = Group.IdxZ;
        Output[k + 6] = Group.DimX;
        Output[k + 7] = Group.DimY;
        Output[k + 8] = Group.DimZ;
        Output[k + 9] = Grid.DimX;
        Output[k + 10] = Grid.DimY;
        Output[k + 11] = Grid.DimZ;
    }
}

/// <summary>Float sum per group by a shared-memory tree (a fixed association order the host repeats).</summary>
internal struct FloatTreeSumKernel : IGroupKernel
{
    public const int GroupSize = 64;
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute()
    {
        var partial = SharedMemory.Allocate<float>(GroupSize);
        int local = Group.IdxX;
        partial[local] = Input[Grid.IdxX * GroupSize + local];
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride >>= 1)
        {
            if (local < stride)
                partial[local] = partial[local] + partial[local + stride];
            Group.Barrier();
        }
        if (local == 0)
            Output[Grid.IdxX] = partial[0];
    }
}

/// <summary>Arg-max per group with two shared arrays (value and index), ties to the lower index.</summary>
internal struct ArgMaxKernel : IGroupKernel
{
    public const int GroupSize = 32;
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute()
    {
        var values = SharedMemory.Allocate<int>(GroupSize);
        var indices = SharedMemory.Allocate<int>(GroupSize);
        int local = Group.IdxX;
        int global = Grid.IdxX * GroupSize + local;
        values[local] = Input[global];
        indices[local] = global;
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride /= 2)
        {
            if (local < stride)
            {
                int other = local + stride;
                if (values[other] > values[local] || (values[other] == values[local] && indices[other] < indices[local]))
                {
                    values[local] = values[other];
                    indices[local] = indices[other];
                }
            }
            Group.Barrier();
        }
        if (local == 0)
        {
            Output[2 * Grid.IdxX] = values[0];
            Output[2 * Grid.IdxX + 1] = indices[0];
        }
    }
}

/// <summary>Transposes through a shared tile in a 2D grouped launch (padded rows avoid bank conflicts).</summary>
internal struct TiledTransposeKernel : IGroupKernel
{
    public const int Tile = 8;
    public ArrayView2D<int, Stride2D.DenseX> Input;
    public ArrayView2D<int, Stride2D.DenseX> Output;

    public void Execute()
    {
        var tile = SharedMemory.Allocate<int>(Tile * (Tile + 1));
        int x = Grid.IdxX * Tile + Group.IdxX;
        int y = Grid.IdxY * Tile + Group.IdxY;
        if (x < Input.IntExtent.X && y < Input.IntExtent.Y)
            tile[Group.IdxY * (Tile + 1) + Group.IdxX] = Input[x, y];
        Group.Barrier();
        int outX = Grid.IdxY * Tile + Group.IdxX;
        int outY = Grid.IdxX * Tile + Group.IdxY;
        if (outX < Output.IntExtent.X && outY < Output.IntExtent.Y)
            Output[outX, outY] = tile[Group.IdxX * (Tile + 1) + Group.IdxY];
    }
}

/// <summary>A histogram in shared memory with atomics there, merged into global counts.</summary>
internal struct SharedHistogramKernel : IGroupKernel
{
    public const int GroupSize = 64;
    public const int Bins = 16;
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute()
    {
        var counts = SharedMemory.Allocate<int>(Bins);
        int local = Group.IdxX;
        if (local < Bins)
            counts[local] = 0;
        Group.Barrier();
        int global = Grid.IdxX * GroupSize + local;
        if (global < Input.Length)
            Atomic.Add(ref counts[Input[global] & (Bins - 1)], 1);
        Group.Barrier();
        if (local < Bins)
            Atomic.Add(ref Output[local], counts[local]);
    }
}

/// <summary>int atomics: per-bin counts, minima and maxima of signed values.</summary>
internal struct IntAtomicsKernel : IKernel1D
{
    public const int Bins = 5;
    public ArrayView<int> Input;
    /// <summary>Three rows of <see cref="Bins"/>: counts, minima, maxima.</summary>
    public ArrayView<int> Output;
    /// <summary>What each Atomic.Add returned, summed per bin as a check that returns are previous values.</summary>
    public ArrayView<int> Returned;

    public void Execute(int index)
    {
        int value = Input[index];
        int bin = (value % Bins + Bins) % Bins;
        int previous = Atomic.Add(ref Output[bin], 1);
        Atomic.Add(ref Returned[bin], previous);
        Atomic.Min(ref Output[Bins + bin], value);
        Atomic.Max(ref Output[2 * Bins + bin], value);
    }
}

/// <summary>uint atomics: add that wraps, min and max in unsigned order.</summary>
internal struct UIntAtomicsKernel : IKernel1D
{
    public ArrayView<uint> Input;
    /// <summary>Sum, minimum, maximum.</summary>
    public ArrayView<uint> Output;

    public void Execute(int index)
    {
        uint value = Input[index];
        Atomic.Add(ref Output[0], value);
        Atomic.Min(ref Output[1], value);
        Atomic.Max(ref Output[2], value);
    }
}

/// <summary>Exchange under contention: each thread swaps its id into one cell and records what it
/// displaced, which chains every id exactly once. int, uint and float cells.</summary>
internal struct ExchangeChainKernel : IKernel1D
{
    public ArrayView<int> Cell;
    public ArrayView<int> Displaced;
    public ArrayView<uint> UnsignedCell;
    public ArrayView<uint> UnsignedDisplaced;
    public ArrayView<float> FloatCell;
    public ArrayView<float> FloatDisplaced;

    public void Execute(int index)
    {
        Displaced[index] = Atomic.Exchange(ref Cell[0], index);
        UnsignedDisplaced[index] = Atomic.Exchange(ref UnsignedCell[0], (uint)index + 0x8000_0000u);
        FloatDisplaced[index] = Atomic.Exchange(ref FloatCell[0], index * 0.5f);
    }
}

/// <summary>Compare-exchange: each thread tries to claim its slot's cell once (int), and multiplies a
/// shared uint product through a CAS retry loop.</summary>
internal struct CompareExchangeKernel : IKernel1D
{
    public const int Slots = 4;
    public ArrayView<int> Claims;
    public ArrayView<int> Seen;
    public ArrayView<uint> Product;

    public void Execute(int index)
    {
        Seen[index] = Atomic.CompareExchange(ref Claims[index % Slots], -1, index);
        uint factor = (uint)(index % 3 + 1);
        // Read through the atomic too: a plain load would race with the other threads' exchanges.
        // A compare-exchange of 0 by 0 changes nothing, whatever the cell holds.
        uint observed = Atomic.CompareExchange(ref Product[0], 0u, 0u);
        while (true)
        {
            uint previous = Atomic.CompareExchange(ref Product[0], observed, observed * factor);
            if (previous == observed)
                break;
            observed = previous;
        }
    }
}

/// <summary>Float atomic add of quarter steps, whose partial sums are all exact, so any order gives one result.</summary>
internal struct FloatAtomicAddKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Sums;

    public void Execute(int index) => Atomic.Add(ref Sums[index % Sums.IntLength], Input[index]);
}

/// <summary>Float atomic add hands out tickets: adding 1 returns the previous count, so the returned
/// values are every count from 0 once (exact in float below 2^24).</summary>
internal struct FloatTicketKernel : IKernel1D
{
    public ArrayView<float> Counter;
    public ArrayView<float> Tickets;

    public void Execute(int index) => Tickets[index] = Atomic.Add(ref Counter[0], 1f);
}
