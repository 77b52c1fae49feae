using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;
using Accelerator = Gpu.Core.Accelerator;
using static Gpu.Conformance.Corpus.CorpusDriver;

namespace Gpu.Conformance.Corpus;

/// <summary>Cases for views (lengths, offsets, strides), grouped kernels and atomics.</summary>
internal static class ViewAndGroupCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/view-length-and-subview-offsets", Reverse),
        new("corpus/view2d-strided-transpose", Transpose),
        new("corpus/view3d-stencil-on-subview", Stencil),
        new("corpus/view2d-data-and-padding", RowSums),
        new("corpus/group-intrinsics-3d", GroupIndices),
        new("corpus/shared-float-tree-sum", FloatTreeSum),
        new("corpus/shared-argmax-two-arrays", ArgMax),
        new("corpus/shared-tile-transpose-2d-groups", TiledTranspose),
        new("corpus/shared-memory-atomics-histogram", SharedHistogram),
        new("corpus/atomics-int-add-min-max", IntAtomics),
        new("corpus/atomics-uint-unsigned-order", UIntAtomics),
        new("corpus/atomics-exchange-chain", ExchangeChain),
        new("corpus/atomics-compare-exchange", CompareExchange),
        new("corpus/atomics-float-add", FloatAtomicAdd),
        new("corpus/atomics-float-add-returns-previous", FloatTickets),
    ];

    private static void Reverse(Accelerator accelerator)
    {
        short[] data = [.. Enumerable.Range(0, 20).Select(i => (short)(i * 1000 - 3000))];
        using var input = accelerator.Allocate<short>(data);
        using var output = accelerator.Allocate<short>(Enumerable.Repeat((short)-1, 20).ToArray());
        accelerator.Launch(7, new ReverseKernel { Input = input.View.SubView(11, 7), Output = output.View.SubView(3, 7) });
        var expected = Enumerable.Repeat((short)-1, 20).ToArray();
        for (int i = 0; i < 7; i++)
            expected[3 + 6 - i] = (short)(data[11 + i] + 7);
        Check.Exact("reversed", expected, output.ToArray());
    }

    private static void Transpose(Accelerator accelerator)
    {
        const int rows = 5, columns = 7, inputStride = 9, outputStride = 6;
        double[] data = [.. Enumerable.Range(0, rows * inputStride).Select(i => i * 0.5)];
        using var input = accelerator.Allocate<double>(data);
        using var output = accelerator.Allocate<double>(Enumerable.Repeat(double.NaN, columns * outputStride).ToArray());
        accelerator.Launch(columns, rows, new TransposeKernel
        {
            Input = AsMatrix(input, columns, rows, inputStride),
            Output = AsMatrix(output, rows, columns, outputStride),
        });
        var expected = Enumerable.Repeat(double.NaN, columns * outputStride).ToArray();
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < columns; x++)
            {
                bool edge = x == columns - 1 || y == rows - 1;
                double value = data[y * inputStride + x];
                expected[x * outputStride + y] = edge ? -value - inputStride : value;
            }
        CorpusCheck.Doubles("transposed", expected, output.ToArray(), 0);
    }

    private static void Stencil(Accelerator accelerator)
    {
        const int depth = 3, rows = 4, columns = 5, offset = 13;
        int volume = depth * rows * columns;
        float[] data = [.. Enumerable.Range(0, offset + volume).Select(i => (i * 37 % 11) - 5f)];
        using var input = accelerator.Allocate<float>(data);
        using var output = accelerator.Allocate<float>(volume);
        accelerator.Launch(columns, rows, depth, new StencilKernel
        {
            Input = ((ArrayView1D<float, Stride1D.Dense>)input.View.SubView(offset, volume)).As3DDenseXYView(new LongIndex3D(columns, rows, depth)),
            Output = ((ArrayView1D<float, Stride1D.Dense>)output.View).As3DDenseXYView(new LongIndex3D(columns, rows, depth)),
        });
        float At(int z, int y, int x) => z < 0 || z >= depth || y < 0 || y >= rows || x < 0 || x >= columns ? float.NaN : data[offset + (z * rows + y) * columns + x];
        var expected = new float[volume];
        (int, int, int)[] neighbours = [(0, 0, -1), (0, 0, 1), (0, -1, 0), (0, 1, 0), (-1, 0, 0), (1, 0, 0)];
        for (int z = 0; z < depth; z++)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < columns; x++)
                {
                    float sum = 6f * At(z, y, x);
                    foreach (var (dz, dy, dx) in neighbours)
                        if (!float.IsNaN(At(z + dz, y + dy, x + dx)))
                            sum -= At(z + dz, y + dy, x + dx);
                    expected[(z * rows + y) * columns + x] = sum;
                }
        CorpusCheck.Floats("laplacian", expected, output.ToArray(), 0);
    }

    private static void RowSums(Accelerator accelerator)
    {
        const int rows = 6, columns = 5, stride = 8;
        long[] data = [.. Enumerable.Range(0, rows * stride).Select(i => (long)i * i * 1_000_000_007L)];
        using var matrix = accelerator.Allocate<long>(data);
        using var sums = accelerator.Allocate<long>(rows);
        // The 2D view's base is the whole padded buffer: ILGPU's As2DView would end it at the last row's last
        // column, leaving that row's padding outside the view.
        var padded = new ArrayView2D<long, Stride2D.DenseX>(matrix.View, new LongIndex2D(columns, rows), new Stride2D.DenseX(stride));
        accelerator.Launch(rows, new RowSumKernel { Matrix = padded, Sums = sums.View });
        // Each row's sum plus the first padding element after it.
        var expected = Enumerable.Range(0, rows).Select(r => data.Skip(r * stride).Take(columns + 1).Sum()).ToArray();
        Check.Exact("row sums", expected, sums.ToArray());
    }

    private static void GroupIndices(Accelerator accelerator)
    {
        var extent = new GroupedExtent(3, 2, 2, 4, 2, 2);
        int threads = extent.GroupCount * extent.GroupSize;
        var actual = Grouped(accelerator, new int[1], extent, Enumerable.Repeat(-1, threads * GroupIndexKernel.Fields).ToArray(), (i, o) => new GroupIndexKernel { Unused = i, Output = o });
        var expected = new List<int>();
        for (int gz = 0; gz < 2; gz++)
            for (int gy = 0; gy < 2; gy++)
                for (int gx = 0; gx < 3; gx++)
                    for (int tz = 0; tz < 2; tz++)
                        for (int ty = 0; ty < 2; ty++)
                            for (int tx = 0; tx < 4; tx++)
                                expected.AddRange([gx, gy, gz, tx, ty, tz, 4, 2, 2, 3, 2, 2]);
        Check.Exact("group values", expected.ToArray(), actual);
    }

    private static void FloatTreeSum(Accelerator accelerator)
    {
        const int groups = 5, size = FloatTreeSumKernel.GroupSize;
        float[] input = [.. Enumerable.Range(0, groups * size).Select(i => MathF.Sin(i) * 1000f + (i % 7 == 0 ? 1e-3f : 0f))];
        var actual = Grouped(accelerator, input, new GroupedExtent(groups, size), new float[groups], (i, o) => new FloatTreeSumKernel { Input = i, Output = o });
        var expected = new float[groups];
        for (int g = 0; g < groups; g++)
        {
            // The kernel's association order: pairs (k, k + stride) for halving strides.
            var level = input.Skip(g * size).Take(size).ToArray();
            for (int stride = size / 2; stride > 0; stride /= 2)
                level = [.. Enumerable.Range(0, stride).Select(k => level[k] + level[k + stride])];
            expected[g] = level[0];
        }
        CorpusCheck.Floats("group sums", expected, actual, 0);
    }

    private static void ArgMax(Accelerator accelerator)
    {
        const int groups = 4, size = ArgMaxKernel.GroupSize;
        int[] input = [.. Enumerable.Range(0, groups * size).Select(i => (i * 7919) % 97 - (i / size == 2 ? 1000 : 0))];
        input[size + 5] = input[size + 20] = 500;
        var actual = Grouped(accelerator, input, new GroupedExtent(groups, size), new int[2 * groups], (i, o) => new ArgMaxKernel { Input = i, Output = o });
        var expected = Enumerable.Range(0, groups).SelectMany(g =>
        {
            var slice = input.Skip(g * size).Take(size).ToArray();
            int best = slice.Max();
            return new[] { best, g * size + Array.IndexOf(slice, best) };
        }).ToArray();
        Check.Exact("max, index", expected, actual);
    }

    private static void TiledTranspose(Accelerator accelerator)
    {
        const int rows = 13, columns = 19, tile = TiledTransposeKernel.Tile;
        int[] data = [.. Enumerable.Range(0, rows * columns).Select(i => i * 3 - 100)];
        using var input = accelerator.Allocate<int>(data);
        using var output = accelerator.Allocate<int>(rows * columns);
        var extent = new GroupedExtent((columns + tile - 1) / tile, (rows + tile - 1) / tile, 1, tile, tile, 1);
        accelerator.LaunchGrouped(extent, new TiledTransposeKernel { Input = AsMatrix(input, columns, rows), Output = AsMatrix(output, rows, columns) });
        var expected = new int[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                expected[c * rows + r] = data[r * columns + c];
        Check.Exact("transposed", expected, output.ToArray());
    }

    private static void SharedHistogram(Accelerator accelerator)
    {
        const int groups = 3, size = SharedHistogramKernel.GroupSize, bins = SharedHistogramKernel.Bins;
        int[] input = [.. Enumerable.Range(0, groups * size - 9).Select(i => i * i + 3)];
        var actual = Grouped(accelerator, input, new GroupedExtent(groups, size), new int[bins], (i, o) => new SharedHistogramKernel { Input = i, Output = o });
        var expected = Enumerable.Range(0, bins).Select(b => input.Count(v => v % bins == b)).ToArray();
        Check.Exact("histogram", expected, actual);
    }

    private static void IntAtomics(Accelerator accelerator)
    {
        const int bins = IntAtomicsKernel.Bins;
        int[] input = [.. Enumerable.Range(0, 3000).Select(i => (int)((long)i * 2_654_435_761L % 2_000_001) - 1_000_000), int.MinValue, int.MaxValue];
        using var inputBuffer = accelerator.Allocate<int>(input);
        using var output = accelerator.Allocate<int>([.. Enumerable.Repeat(0, bins), .. Enumerable.Repeat(int.MaxValue, bins), .. Enumerable.Repeat(int.MinValue, bins)]);
        using var returned = accelerator.Allocate<int>(bins);
        returned.Clear();
        accelerator.Launch(input.Length, new IntAtomicsKernel { Input = inputBuffer.View, Output = output.View, Returned = returned.View });
        var groups = Enumerable.Range(0, bins).Select(b => input.Where(v => ((long)v % bins + bins) % bins == b).ToArray()).ToArray();
        Check.Exact("counts, minima, maxima",
            [.. groups.Select(g => g.Length), .. groups.Select(g => g.Min()), .. groups.Select(g => g.Max())], output.ToArray());
        // Each add returned a distinct previous count 0..n-1, in whatever order.
        Check.Exact("returned previous values", groups.Select(g => g.Length * (g.Length - 1) / 2).ToArray(), returned.ToArray());
    }

    private static void UIntAtomics(Accelerator accelerator)
    {
        uint[] input = [.. Enumerable.Range(0, 2000).Select(i => (uint)((ulong)i * 2_654_435_761UL % 4_294_967_291UL) | 0x1000u), 0x8000_0000u, 0xFFFF_FFFEu];
        using var inputBuffer = accelerator.Allocate<uint>(input);
        using var output = accelerator.Allocate<uint>([0u, uint.MaxValue, 0u]);
        accelerator.Launch(input.Length, new UIntAtomicsKernel { Input = inputBuffer.View, Output = output.View });
        ulong sum = input.Aggregate(0UL, (total, v) => total + v);
        Check.Exact("sum, min, max", [(uint)(sum % (1UL << 32)), input.Min(), input.Max()], output.ToArray());
    }

    private static void ExchangeChain(Accelerator accelerator)
    {
        const int length = 1000;
        using var cell = accelerator.Allocate<int>([-1]);
        using var displaced = accelerator.Allocate<int>(length);
        using var unsignedCell = accelerator.Allocate<uint>([7u]);
        using var unsignedDisplaced = accelerator.Allocate<uint>(length);
        using var floatCell = accelerator.Allocate<float>([-1f]);
        using var floatDisplaced = accelerator.Allocate<float>(length);
        accelerator.Launch(length, new ExchangeChainKernel
        {
            Cell = cell.View, Displaced = displaced.View, UnsignedCell = unsignedCell.View, UnsignedDisplaced = unsignedDisplaced.View,
            FloatCell = floatCell.View, FloatDisplaced = floatDisplaced.View,
        });
        // Whatever the order, the displaced values and the final cell are the initial value and every id once.
        Check.Exact("int chain", [-1, .. Enumerable.Range(0, length)], displaced.ToArray().Append(cell.ToArray()[0]).Order().ToArray());
        Check.Exact("uint chain", [.. Enumerable.Range(0, length).Select(i => (uint)i + 0x8000_0000u).Prepend(7u)],
            unsignedDisplaced.ToArray().Append(unsignedCell.ToArray()[0]).Order().ToArray());
        Check.Exact("float chain", [-1f, .. Enumerable.Range(0, length).Select(i => i * 0.5f)],
            floatDisplaced.ToArray().Append(floatCell.ToArray()[0]).Order().ToArray());
    }

    private static void CompareExchange(Accelerator accelerator)
    {
        const int length = 999, slots = CompareExchangeKernel.Slots;
        using var claims = accelerator.Allocate<int>(Enumerable.Repeat(-1, slots).ToArray());
        using var seen = accelerator.Allocate<int>(length);
        using var product = accelerator.Allocate<uint>([1u]);
        accelerator.Launch(length, new CompareExchangeKernel { Claims = claims.View, Seen = seen.View, Product = product.View });
        int[] winners = claims.ToArray(), observed = seen.ToArray();
        for (int slot = 0; slot < slots; slot++)
            if (winners[slot] < 0 || winners[slot] % slots != slot)
                throw new ConformanceException($"slot {slot} claimed by {winners[slot]}, not by one of its own threads");
        // The winner saw the initial -1; every other thread of the slot saw the winner.
        Check.Exact("seen", Enumerable.Range(0, length).Select(i => winners[i % slots] == i ? -1 : winners[i % slots]).ToArray(), observed);
        var expectedProduct = System.Numerics.BigInteger.One;
        for (int i = 0; i < length; i++)
            expectedProduct = expectedProduct * (i % 3 + 1) % (System.Numerics.BigInteger.One << 32);
        Check.Exact("product", [(uint)expectedProduct], product.ToArray());
    }

    private static void FloatAtomicAdd(Accelerator accelerator)
    {
        float[] input = [.. Enumerable.Range(0, 4000).Select(i => (i % 9 - 4) * 0.25f)];
        var actual = Map(accelerator, input, new float[3], (i, o) => new FloatAtomicAddKernel { Input = i, Sums = o }, input.Length);
        var expected = Enumerable.Range(0, 3).Select(s => (float)input.Where((_, i) => i % 3 == s).Sum(v => (double)v)).ToArray();
        CorpusCheck.Floats("sums", expected, actual, 0);
    }

    private static void FloatTickets(Accelerator accelerator)
    {
        const int length = 3000;
        var tickets = Map(accelerator, new float[1], new float[length], (counter, t) => new FloatTicketKernel { Counter = counter, Tickets = t }, length);
        Check.Exact("tickets in order", Enumerable.Range(0, length).Select(i => (float)i).ToArray(), tickets.Order().ToArray());
    }

    /// <summary>A <paramref name="width"/> × <paramref name="height"/> ILGPU 2D view (x the column) of a buffer whose rows
    /// are <paramref name="rowStride"/> elements apart (dense by default).</summary>
    internal static ArrayView2D<T, Stride2D.DenseX> AsMatrix<T>(DeviceBuffer<T> buffer, int width, int height, int? rowStride = null) where T : unmanaged
        => ((ArrayView1D<T, Stride1D.Dense>)buffer.View).As2DView(new LongIndex2D(width, height), new Stride2D.DenseX(rowStride ?? width));
}
