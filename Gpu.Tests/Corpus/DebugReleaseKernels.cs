namespace Gpu.Tests.Corpus;

/// <summary>One kernel source compiled in memory: a 1D kernel with <c>ArrayView&lt;int&gt; Input</c> and
/// <c>ArrayView&lt;int&gt; Output</c> writing <paramref name="OutputsPerIndex"/> values per input.</summary>
/// <param name="TypeName">The kernel struct's full name in the source.</param>
/// <param name="OutputsPerIndex">Outputs written per index.</param>
/// <param name="Expected">The host's result for an input, written independently of the source.</param>
public sealed record DebugReleaseKernel(string TypeName, int OutputsPerIndex, Func<int, int[]> Expected)
{
    public override string ToString() => TypeName;
}

/// <summary>The sources (constructs whose Debug IL differs most from Release IL: values live on the
/// stack across joins, bools are materialised, every local is spilled) and their host expectations.</summary>
public static class DebugReleaseKernels
{
    /// <summary>Inputs every kernel runs on.</summary>
    public static readonly int[] Inputs = [0, 1, -1, 2, -3, 5, 7, 10, 11, 12, 99, -100, 1000, int.MaxValue, int.MinValue];

    /// <summary>What every output element holds before the launch (a kernel may read its own slots first).</summary>
    public const int OutputFill = int.MinValue + 12345;

    public static IEnumerable<DebugReleaseKernel> All =>
    [
        new("InMemory.TernaryKernel", 2, x =>
        {
            bool positive = x > 0, small = Math.Abs((long)x) < 10;
            int nested = positive ? (small ? 1 : 2) : (x == 0 ? 3 : (x == int.MinValue ? 4 : 5));
            return [nested, (positive && small) || x == -3 ? 10 : 20];
        }),
        new("InMemory.ShortCircuitValueKernel", 3, x =>
        {
            int a = x & 1, b = x > 5 ? 1 : 0, c = x < 0 ? 1 : 0;
            return [a * b, Math.Max(a, c), (a == b ? 1 : 0) * c + a * 4];
        }),
        new("InMemory.SwitchKernel", 2, x =>
        {
            int dense = x is >= 0 and <= 4 ? new[] { 10, 11, 11, 13, 14 }[x] : -1;
            int expression = x < 0 ? -x % 7 : x == 0 ? 100 : x % 2 == 0 ? 200 : 300;
            return [dense, expression];
        }),
        new("InMemory.NestedLoopKernel", 1, x =>
        {
            int limit = Math.Clamp(x, 0, 12), total = 0;
            for (int i = 1; i <= limit; i++)
                for (int j = 1; j <= i; j++)
                    if ((i * j) % 4 != 0)
                        total += i * j;
            return [total];
        }),
        new("InMemory.StructLocalKernel", 2, x =>
        {
            long left = x, right = 3L * x;
            return [(int)((left + 1) & 0xFFFF_FFFF) ^ (int)(right & 0xFFFF_FFFF), (int)(x & 0xFF)];
        }),
        new("InMemory.CallKernel", 2, x =>
        {
            long y = (long)x * 2 + 1;
            int chosen = (int)((x > 0 ? y : -y) & 0xFFFF_FFFF);
            return [(int)((3L * x + chosen + Math.Abs(x % 10)) & 0xFFFF_FFFF), x > 5 ? 7 : -7];
        }),
        new("InMemory.FloatKernel", 2, x =>
        {
            double half = (float)(x * 0.5f);
            double chosen = half > 3 ? half : -half;
            double floor = Math.Floor(chosen);
            return [(int)Math.Clamp(floor, int.MinValue, int.MaxValue), half >= 0 ? 1 : 0];
        }),
        new("InMemory.CompoundAssignmentKernel", 3, x =>
        {
            static int Wrap(long value) => (int)(value & 0xFFFF_FFFF);
            int mixed = x ^ (int)Math.Floor(x / 8.0);
            return [Wrap(((long)x + 6) * 2), Wrap(3L * x - 1), Wrap(2L * mixed + 2)];
        }),
        new("InMemory.LocalFunctionKernel", 2, x => [(int)((3L * x + 7) & 0xFFFF_FFFF), (int)((4L * x) & 0xFFFF_FFFF)]),
        new("InMemory.TupleKernel", 3, x =>
        {
            int swapped = x ^ 0x55;
            return [swapped, swapped / 7, (int)(((long)(swapped % 7) + x) & 0xFFFF_FFFF)];
        }),
        new("InMemory.StructConstructorKernel", 2, x =>
        {
            int cents = x % 1_000_000, units = cents / 100;
            int rebuilt = units * 100 + cents % 100 + 1;
            return [units, rebuilt % 100];
        }),
        new("InMemory.ValueTernaryKernel", 3, x =>
        {
            bool even = x % 2 == 0;
            long left = x > 0 ? x : -(long)x, right = x > 0 ? 2L * x : 5;
            return [(int)((left + right) & 0xFFFF_FFFF), even ? x : OutputFill, even ? 1 : 2];
        }),
        new("InMemory.PatternKernel", 2, x =>
        [
            (x > 0 && x < 10) || x == 100 ? 1 : 0,
            x == 0 || x == int.MinValue ? 4 : Math.Abs((long)x) % 3 == 0 ? 2 : 3,
        ]),
    ];

    /// <summary>The C# sources, compiled as written at each optimisation level.</summary>
    public static IEnumerable<string> Sources =>
    [
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct TernaryKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                bool positive = x > 0;
                bool small = x < 10 && x > -10;
                Output[2 * index] = positive ? (small ? 1 : 2) : x == 0 ? 3 : x == int.MinValue ? 4 : 5;
                Output[2 * index + 1] = positive && small || x == -3 ? 10 : 20;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct ShortCircuitValueKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                bool a = (x & 1) != 0, b = x > 5, c = x < 0;
                bool both = a && b;
                bool either = a || c;
                bool mixed = !(a ^ b) && c;
                Output[3 * index] = both ? 1 : 0;
                Output[3 * index + 1] = either ? 1 : 0;
                Output[3 * index + 2] = (mixed ? 1 : 0) + (a ? 4 : 0);
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct SwitchKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                int dense;
                switch (x)
                {
                    case 0: dense = 10; break;
                    case 1:
                    case 2: dense = 11; break;
                    case 3: dense = 13; break;
                    case 4: dense = 14; break;
                    default: dense = -1; break;
                }
                Output[2 * index] = dense;
                Output[2 * index + 1] = x switch
                {
                    < 0 => -x % 7,
                    0 => 100,
                    _ when x % 2 == 0 => 200,
                    _ => 300,
                };
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct NestedLoopKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                int limit = x < 0 ? 0 : x > 12 ? 12 : x;
                int total = 0;
                for (int i = 1; i <= limit; i++)
                {
                    int j = 1;
                    while (true)
                    {
                        if (j > i)
                            break;
                        if ((i * j) % 4 == 0)
                        {
                            j++;
                            continue;
                        }
                        total += i * j;
                        j++;
                    }
                }
                Output[index] = total;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct Pair
        {
            public int Left;
            public int Right;
            public static Pair Of(int value) => new Pair { Left = value, Right = value * 3 };
        }
        public struct StructLocalKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                Pair original = Pair.Of(x);
                Pair copy = original;
                copy.Left++;
                original.Left = x & 0xFF;
                Output[2 * index] = copy.Left ^ copy.Right;
                Output[2 * index + 1] = original.Left;
            }
        }
        """,
        """
        using System;
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct CallKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                int y = x * 2 + 1;
                Output[2 * index] = Combine(x, x > 0 ? y : -y, Digit(x));
                Output[2 * index + 1] = Pick(x > 5, 7, -7);
            }
            private static int Combine(int a, int b, int c) => Triple(a) + b + c;
            private static int Triple(int a) => a * 3;
            private static int Digit(int a) => Math.Abs(a % 10);
            private static T Pick<T>(bool first, T a, T b) => first ? a : b;
        }
        """,
        """
        using System;
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct FloatKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                float half = Input[index] * 0.5f;
                Output[2 * index] = (int)MathF.Floor(half > 3f ? half : -half);
                Output[2 * index + 1] = half >= 0f ? 1 : 0;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct Counter
        {
            public int Value;
        }
        public struct CompoundAssignmentKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                Output[3 * index] = x;
                Output[3 * index] += 5;
                Output[3 * index]++;
                Output[3 * index] <<= 1;
                Counter counter = default;
                counter.Value += x;
                counter.Value *= 3;
                counter.Value--;
                Output[3 * index + 1] = counter.Value;
                int y = x;
                y ^= y >> 3;
                y = y++ + ++y;
                Output[3 * index + 2] = y;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct LocalFunctionKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                int bias = 7;
                Output[2 * index] = AddBias(Scale(x));
                Output[2 * index + 1] = Twice(Twice(x));

                static int Scale(int v) => v * 3;
                int AddBias(int v) => v + bias;
                static int Twice(int v) => v + v;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct TupleKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int a = Input[index];
                int b = a ^ 0x55;
                (a, b) = (b, a);
                var (quotient, remainder) = DivRem(a, 7);
                Output[3 * index] = a;
                Output[3 * index + 1] = quotient;
                Output[3 * index + 2] = remainder + b;
            }
            private static (int Quotient, int Remainder) DivRem(int n, int d) => (n / d, n % d);
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public readonly struct Money
        {
            public readonly int Units;
            public readonly int Cents;
            public Money(int totalCents)
            {
                Units = totalCents / 100;
                Cents = totalCents % 100;
            }
            public Money(int units, int cents) : this(units * 100 + cents) { }
        }
        public struct StructConstructorKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index] % 1_000_000;
                var total = new Money(x);
                Money copy;
                copy = new Money(total.Units, total.Cents + 1);
                Output[2 * index] = total.Units;
                Output[2 * index + 1] = copy.Cents;
            }
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct Span2
        {
            public int Left;
            public int Right;
        }
        public struct ValueTernaryKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                Span2 span = x > 0 ? new Span2 { Left = x, Right = 2 * x } : new Span2 { Left = -x, Right = 5 };
                ArrayView<int> source = (x & 1) == 0 ? Input : Output;
                int position = (x & 1) == 0 ? index : 3 * index + 1;
                Output[3 * index] = span.Left + span.Right;
                Output[3 * index + 1] = source[position];
                Output[3 * index + 2] = Select((x & 1) == 0 ? new Span2 { Left = 1 } : new Span2 { Left = 2 }).Left;
            }
            private static Span2 Select(Span2 value) => value;
        }
        """,
        """
        using Gpu.Core;
        using ILGPU;
        namespace InMemory;
        public struct PatternKernel : IKernel1D
        {
            public ArrayView<int> Input;
            public ArrayView<int> Output;
            public void Execute(int index)
            {
                int x = Input[index];
                Output[2 * index] = x is > 0 and < 10 or 100 ? 1 : 0;
                Output[2 * index + 1] = x is not (0 or int.MinValue) ? (x % 3 is 0 ? 2 : 3) : 4;
            }
        }
        """,
    ];
}
