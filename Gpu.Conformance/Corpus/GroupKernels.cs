using Gpu.Core;

namespace Gpu.Conformance.Corpus;

// Grouped kernels (group and thread indices, shared memory, barriers) and atomics.

/// <summary>Every thread writes every Group value it sees, in a 3D grouped launch.</summary>
internal struct GroupIndexKernel : IGroupKernel
{
    public const int Fields = 12;
    public View<int> Unused;
    public View<int> Output;

    public void Execute()
    {
        int localLinear = (Group.ThreadZ * Group.SizeY + Group.ThreadY) * Group.SizeX + Group.ThreadX;
        int groupLinear = (Group.IndexZ * Group.CountY + Group.IndexY) * Group.CountX + Group.IndexX;
        int k = (groupLinear * Group.SizeX * Group.SizeY * Group.SizeZ + localLinear) * Fields;
        Output[k] = Group.IndexX;
        Output[k + 1] = Group.IndexY;
        Output[k + 2] = Group.IndexZ;
        Output[k + 3] = Group.ThreadX;
        Output[k + 4] = Group.ThreadY;
        Output[k + 5] = Group.ThreadZ;
        Output[k + 6] = Group.SizeX;
        Output[k + 7] = Group.SizeY;
        Output[k + 8] = Group.SizeZ;
        Output[k + 9] = Group.CountX;
        Output[k + 10] = Group.CountY;
        Output[k + 11] = Group.CountZ;
    }
}

/// <summary>Float sum per group by a shared-memory tree (a fixed association order the host repeats).</summary>
internal struct FloatTreeSumKernel : IGroupKernel
{
    public const int GroupSize = 64;
    public View<float> Input;
    public View<float> Output;

    public void Execute()
    {
        var partial = SharedMemory.Allocate<float>(GroupSize);
        int local = Group.ThreadX;
        partial[local] = Input[Group.IndexX * GroupSize + local];
        Group.Barrier();
        for (int stride = GroupSize / 2; stride > 0; stride >>= 1)
        {
            if (local < stride)
                partial[local] = partial[local] + partial[local + stride];
            Group.Barrier();
        }
        if (local == 0)
            Output[Group.IndexX] = partial[0];
    }
}

/// <summary>Arg-max per group with two shared arrays (value and index), ties to the lower index.</summary>
internal struct ArgMaxKernel : IGroupKernel
{
    public const int GroupSize = 32;
    public View<int> Input;
    public View<int> Output;

    public void Execute()
    {
        var values = SharedMemory.Allocate<int>(GroupSize);
        var indices = SharedMemory.Allocate<int>(GroupSize);
        int local = Group.ThreadX;
        int global = Group.IndexX * GroupSize + local;
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
            Output[2 * Group.IndexX] = values[0];
            Output[2 * Group.IndexX + 1] = indices[0];
        }
    }
}

/// <summary>Transposes through a shared tile in a 2D grouped launch (padded rows avoid bank conflicts).</summary>
internal struct TiledTransposeKernel : IGroupKernel
{
    public const int Tile = 8;
    public View2D<int> Input;
    public View2D<int> Output;

    public void Execute()
    {
        var tile = SharedMemory.Allocate<int>(Tile * (Tile + 1));
        int x = Group.IndexX * Tile + Group.ThreadX;
        int y = Group.IndexY * Tile + Group.ThreadY;
        if (x < Input.Columns && y < Input.Rows)
            tile[Group.ThreadY * (Tile + 1) + Group.ThreadX] = Input[y, x];
        Group.Barrier();
        int outX = Group.IndexY * Tile + Group.ThreadX;
        int outY = Group.IndexX * Tile + Group.ThreadY;
        if (outX < Output.Columns && outY < Output.Rows)
            Output[outY, outX] = tile[Group.ThreadX * (Tile + 1) + Group.ThreadY];
    }
}

/// <summary>A histogram in shared memory with atomics there, merged into global counts.</summary>
internal struct SharedHistogramKernel : IGroupKernel
{
    public const int GroupSize = 64;
    public const int Bins = 16;
    public View<int> Input;
    public View<int> Output;

    public void Execute()
    {
        var counts = SharedMemory.Allocate<int>(Bins);
        int local = Group.ThreadX;
        if (local < Bins)
            counts[local] = 0;
        Group.Barrier();
        int global = Group.IndexX * GroupSize + local;
        if (global < Input.Length)
            Atomic.Add(counts, Input[global] & (Bins - 1), 1);
        Group.Barrier();
        if (local < Bins)
            Atomic.Add(Output, local, counts[local]);
    }
}

/// <summary>int atomics: per-bin counts, minima and maxima of signed values.</summary>
internal struct IntAtomicsKernel : IKernel1D
{
    public const int Bins = 5;
    public View<int> Input;
    /// <summary>Three rows of <see cref="Bins"/>: counts, minima, maxima.</summary>
    public View<int> Output;
    /// <summary>What each Atomic.Add returned, summed per bin as a check that returns are previous values.</summary>
    public View<int> Returned;

    public void Execute(int index)
    {
        int value = Input[index];
        int bin = (value % Bins + Bins) % Bins;
        int previous = Atomic.Add(Output, bin, 1);
        Atomic.Add(Returned, bin, previous);
        Atomic.Min(Output, Bins + bin, value);
        Atomic.Max(Output, 2 * Bins + bin, value);
    }
}

/// <summary>uint atomics: add that wraps, min and max in unsigned order.</summary>
internal struct UIntAtomicsKernel : IKernel1D
{
    public View<uint> Input;
    /// <summary>Sum, minimum, maximum.</summary>
    public View<uint> Output;

    public void Execute(int index)
    {
        uint value = Input[index];
        Atomic.Add(Output, 0, value);
        Atomic.Min(Output, 1, value);
        Atomic.Max(Output, 2, value);
    }
}

/// <summary>Exchange under contention: each thread swaps its id into one cell and records what it
/// displaced, which chains every id exactly once. int, uint and float cells.</summary>
internal struct ExchangeChainKernel : IKernel1D
{
    public View<int> Cell;
    public View<int> Displaced;
    public View<uint> UnsignedCell;
    public View<uint> UnsignedDisplaced;
    public View<float> FloatCell;
    public View<float> FloatDisplaced;

    public void Execute(int index)
    {
        Displaced[index] = Atomic.Exchange(Cell, 0, index);
        UnsignedDisplaced[index] = Atomic.Exchange(UnsignedCell, 0, (uint)index + 0x8000_0000u);
        FloatDisplaced[index] = Atomic.Exchange(FloatCell, 0, index * 0.5f);
    }
}

/// <summary>Compare-exchange: each thread tries to claim its slot's cell once (int), and multiplies a
/// shared uint product through a CAS retry loop.</summary>
internal struct CompareExchangeKernel : IKernel1D
{
    public const int Slots = 4;
    public View<int> Claims;
    public View<int> Seen;
    public View<uint> Product;

    public void Execute(int index)
    {
        Seen[index] = Atomic.CompareExchange(Claims, index % Slots, -1, index);
        uint factor = (uint)(index % 3 + 1);
        uint observed = Product[0];
        while (true)
        {
            uint previous = Atomic.CompareExchange(Product, 0, observed, observed * factor);
            if (previous == observed)
                break;
            observed = previous;
        }
    }
}

/// <summary>Float atomic add of quarter steps, whose partial sums are all exact, so any order gives one result.</summary>
internal struct FloatAtomicAddKernel : IKernel1D
{
    public View<float> Input;
    public View<float> Sums;

    public void Execute(int index) => Atomic.Add(Sums, index % Sums.Length, Input[index]);
}

/// <summary>Float atomic add hands out tickets: adding 1 returns the previous count, so the returned
/// values are every count from 0 once (exact in float below 2^24).</summary>
internal struct FloatTicketKernel : IKernel1D
{
    public View<float> Counter;
    public View<float> Tickets;

    public void Execute(int index) => Tickets[index] = Atomic.Add(Counter, 0, 1f);
}
