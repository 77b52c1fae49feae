using Gpu.Core;
using static Gpu.Conformance.Corpus.CorpusDriver;

namespace Gpu.Conformance.Corpus;

/// <summary>Control-flow cases: every path of each kernel is taken by some input.</summary>
internal static class ControlFlowCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/nested-branches", NestedBranches),
        new("corpus/loops-break-continue", Loops),
        new("corpus/nested-loops-do-while", NestedLoops),
        new("corpus/switch-dense-table", DenseSwitch),
        new("corpus/switch-sparse-and-patterns", SparseSwitch),
        new("corpus/ternaries-and-materialised-bools", Ternaries),
        new("corpus/short-circuit-guards", ShortCircuit),
        new("corpus/early-return", EarlyReturn),
        new("corpus/enum-parameters-and-switch", Enums),
    ];

    private static void NestedBranches(Accelerator accelerator)
    {
        int[] input = [.. EdgeValues.Ints, -1002, -1001, -500, 1000, 1001, 4096, 0x1_0000_00];
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new NestedBranchKernel { Input = i, Output = o });
        var expected = input.Select(x =>
        {
            int category = (x, Math.Abs((long)x) % 2) switch
            {
                ( < -1000, 0) => 1,
                ( < -1000, _) => 2,
                (-1, _) => 3,
                ( < 0, _) => 4,
                (0, _) => 7,
                ( <= 1000, _) => 8,
                _ => x % 256 == 0 ? 5 : 6,
            };
            return category * 10 + Math.Max(Math.Sign(x), 0);
        }).ToArray();
        Check.Exact("categories", expected, actual);
    }

    private static void Loops(Accelerator accelerator)
    {
        int[] input = [1, 2, 3, 6, 7, 27, 97, 871, 77_777, 1_000_000, 0, -5, -170, int.MaxValue, int.MinValue, 837_799];
        var actual = Map(accelerator, input, new int[input.Length * 2], (i, o) => new LoopKernel { Input = i, Output = o });
        var expected = new List<int>();
        foreach (int x in input)
        {
            int steps = 0;
            for (System.Numerics.BigInteger n = x; n > 1 && steps < 500; steps++)
                n = n.IsEven ? n / 2 : 3 * n + 1;
            expected.Add(steps);
            expected.Add(Math.Abs((long)x).ToString().Where(c => c != '7').Sum(c => c - '0'));
        }
        Check.Exact("collatz steps, digit sums", expected.ToArray(), actual);
    }

    private static void NestedLoops(Accelerator accelerator)
    {
        int[] input = [0, 1, 2, 5, 13, 40, 200, -3, 1 << 20];
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new NestedLoopKernel { Input = i, Output = o });
        var expected = input.Select(n =>
        {
            // The pairs (i, j), j ≤ i, in loop order; the sum stops at the first partial sum above 5000.
            var terms = Enumerable.Range(0, Math.Max(n, 0)).SelectMany(i => Enumerable.Range(0, i + 1).Select(j => (i, j)))
                .Where(p => (p.i + p.j) % 3 != 0).Select(p => p.i * p.j);
            int total = 0;
            foreach (int term in terms)
            {
                total += term;
                if (total > 5000)
                    break;
            }
            int halvings = n <= 0 ? 1 : (int)Math.Floor(Math.Log2(n)) + 1;
            return total * 100 + halvings;
        }).ToArray();
        Check.Exact("nested loops", expected, actual);
    }

    private static void DenseSwitch(Accelerator accelerator)
    {
        int[] input = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 100, int.MinValue, int.MaxValue];
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new DenseSwitchKernel { Input = i, Output = o });
        var table = new Dictionary<int, int> { [0] = 100, [1] = 201, [2] = 202, [3] = -3, [5] = 25, [6] = 700, [7] = 700 };
        var expected = input.Select(x => table.TryGetValue(x, out int value) ? value : x > 7 ? 1 : -1).ToArray();
        Check.Exact("switch", expected, actual);
    }

    private static void SparseSwitch(Accelerator accelerator)
    {
        long[] input = [-5, 10, 1000, 1L << 40, long.MinValue, 0, 1, 100, 101, -1, -1000, -1001, 1L << 35, (1L << 35) + 1, 1L << 50, long.MaxValue, 11];
        var actual = Map(accelerator, input, new long[input.Length * 2], (i, o) => new SparseSwitchKernel { Input = i, Output = o });
        long[] labels = [-5, 10, 1000, 1L << 40, long.MinValue];
        var expected = input.SelectMany(x => new long[]
        {
            Array.IndexOf(labels, x) + 1,
            x < -1000 ? -2 : x < 0 ? -1 : x == 0 ? 0 : x <= 100 ? 1 : x > 1L << 35 && x < 1L << 50 ? 3 : 2,
        }).ToArray();
        Check.Exact("switches", expected, actual);
    }

    private static void Ternaries(Accelerator accelerator)
    {
        int[] pairs = AllPairs<int>([0, 1, -1, 2, -3, int.MaxValue, int.MinValue]);
        var actual = Map(accelerator, pairs, new int[pairs.Length * 2], (i, o) => new TernaryKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            int a = pairs[p], b = pairs[p + 1];
            int both = Math.Sign(a) == 1 && Math.Sign(b) == 1 ? 1 : 0;
            int either = Math.Sign(a) == -1 || Math.Sign(b) == -1 ? 1 : 0;
            int mixed = (Math.Sign((long)a - b) == 1 ^ Math.Sign(b) == 1) && Math.Abs((long)a) % 2 == 1 || b == 0 ? 1 : 0;
            expected.Add(both + 2 * either + 4 * mixed);
            expected.Add(Math.Sign(a) * (b >= 0 ? 3 : 5));
            expected.Add(Math.Max(a, b));
            expected.Add((int)(((long)(both == 1 ? a : b) + (either == 1 || a == b ? 10 : 20)) & 0xFFFF_FFFF));
        }
        Check.Exact("ternaries", expected.ToArray(), actual);
    }

    private static void ShortCircuit(Accelerator accelerator)
    {
        int[] table = [5, 0, -3, 17, 250];
        int[] pairs = [0, 0, 1, 3, 2, 6, 3, 9, 4, 11, -1, 1, 5, -7, 1000, 2, int.MinValue, -1, 4, 1000, 3, 2];
        using var inputBuffer = accelerator.Allocate<int>(pairs);
        using var tableBuffer = accelerator.Allocate<int>(table);
        using var output = accelerator.Allocate<int>(pairs.Length / 2);
        accelerator.Launch(pairs.Length / 2, new ShortCircuitKernel { Input = inputBuffer.View, Table = tableBuffer.View, Output = output.View });
        var expected = pairs.Chunk(2).Select(p =>
        {
            int position = p[0], divisor = p[1];
            int fromTable = position >= 0 && position < table.Length ? Math.Max(table[position], 0) : 0;
            // 1000 / d > 100 holds for d in 1..9 only; 7 % d takes the sign of 7, so only |d| matters.
            bool smallDivisor = divisor is >= 0 and < 10;
            long magnitude = Math.Abs((long)divisor);
            bool sevenLeavesOne = magnitude is 2 or 3 or 6;
            return fromTable + (smallDivisor ? 1_000_000 : 0) + (sevenLeavesOne ? 0 : 10_000);
        }).ToArray();
        Check.Exact("guarded", expected, output.ToArray());
    }

    private static void EarlyReturn(Accelerator accelerator)
    {
        int[] input = [-1, 0, 1, 2, 3, 4, 9, 49, 97, 221, 7919, 999_983, 1_000_000];
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new EarlyReturnKernel { Input = i, Output = o });
        var expected = input.Select(x => x < 0 ? -1 : Enumerable.Range(2, Math.Max(0, (int)Math.Sqrt(x) - 1)).FirstOrDefault(d => x % d == 0, x)).ToArray();
        Check.Exact("smallest factor", expected, actual);
    }

    private static void Enums(Accelerator accelerator)
    {
        long[] input = [0, 5, -7, 1L << 30, long.MaxValue];
        foreach (var (operation, shade, scale) in new[]
        {
            (Operation.Add, Shade.Dark, Scale.Unit), (Operation.Subtract, Shade.Light, Scale.Unit), (Operation.Multiply, Shade.Dark, Scale.Huge),
        })
        {
            var actual = Map(accelerator, input, new long[input.Length * 2], (i, o) => new EnumKernel { Input = i, Output = o, Operation = operation, Shade = shade, Scale = scale });
            // The enums' numeric values, spelled out: Add 0, Subtract 1, Multiply 2, Negate 10; Dark 1, Light 200; Unit 1, Huge 2^40.
            long code = operation switch { Operation.Add => 0, Operation.Subtract => 1, _ => 2 };
            long shadeValue = shade == Shade.Dark ? 1 : 200, scaleValue = scale == Scale.Unit ? 1 : 1L << 40;
            var expected = input.SelectMany(x => new[]
            {
                x < 0 ? -x : code switch { 0 => x + shadeValue, 1 => x - shadeValue, _ => (long)(ulong)((System.Numerics.BigInteger)x * scaleValue & ulong.MaxValue) },
                (x < 0 ? 10 : code) + (shadeValue == 200 ? 1000 : 0),
            }).ToArray();
            Check.Exact($"{operation}, {shade}, {scale}", expected, actual);
        }
    }
}
