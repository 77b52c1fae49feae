using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

// Control flow in the shapes Roslyn emits: nested conditionals, loops with break and continue,
// switch tables and switch expressions, ternaries and short-circuit logic kept as values.

/// <summary>Classifies a value through nested conditionals.</summary>
internal struct NestedBranchKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int x = Input[index];
        int category;
        if (x < 0)
        {
            if (x < -1000)
                category = x % 2 == 0 ? 1 : 2;
            else if (x == -1)
                category = 3;
            else
                category = 4;
        }
        else
        {
            if (x > 1000)
            {
                if ((x & 0xFF) == 0)
                    category = 5;
                else
                    category = 6;
            }
            else
            {
                category = x == 0 ? 7 : 8;
            }
        }
        Output[index] = category * 10 + (x > 0 ? 1 : 0);
    }
}

/// <summary>A data-dependent while loop (Collatz steps, capped) and a for loop with break and continue.</summary>
internal struct LoopKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        long n = Input[index];
        int steps = 0;
        while (n > 1 && steps < 500)
        {
            n = (n & 1) == 0 ? n / 2 : 3 * n + 1;
            steps++;
        }
        int digitsSum = 0;
        for (int remaining = Input[index]; ; remaining /= 10)
        {
            int digit = remaining % 10;
            if (digit < 0)
                digit = -digit;
            if (digit == 7)
                continue;
            digitsSum += digit;
            if (remaining / 10 == 0)
                break;
        }
        Output[2 * index] = steps;
        Output[2 * index + 1] = digitsSum;
    }
}

/// <summary>Nested loops whose inner bound depends on the outer index, with an early exit from both
/// and a do-while.</summary>
internal struct NestedLoopKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int n = Input[index];
        int total = 0;
        bool stop = false;
        for (int i = 0; i < n && !stop; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                if ((i + j) % 3 == 0)
                    continue;
                total += i * j;
                if (total > 5000)
                {
                    stop = true;
                    break;
                }
            }
        }
        int halvings = 0;
        int value = n;
        do
        {
            value >>= 1;
            halvings++;
        }
        while (value > 0);
        Output[index] = total * 100 + halvings;
    }
}

/// <summary>A dense switch (a jump table in IL) with fall-through-like shared bodies and a default.</summary>
internal struct DenseSwitchKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int x = Input[index];
        int result;
        switch (x)
        {
            case 0:
                result = 100;
                break;
            case 1:
            case 2:
                result = 200 + x;
                break;
            case 3:
                result = -x;
                break;
            case 5:
                result = x * x;
                break;
            case 6:
            case 7:
                result = 700;
                break;
            default:
                result = x > 7 ? 1 : -1;
                break;
        }
        Output[index] = result;
    }
}

/// <summary>A sparse switch (compare chains in IL) and a switch expression with relational patterns
/// on long.</summary>
internal struct SparseSwitchKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long x = Input[index];
        long sparse;
        switch (x)
        {
            case -5: sparse = 1; break;
            case 10: sparse = 2; break;
            case 1000: sparse = 3; break;
            case 1L << 40: sparse = 4; break;
            case long.MinValue: sparse = 5; break;
            default: sparse = 0; break;
        }
        long bucket = x switch
        {
            < -1000 => -2,
            < 0 => -1,
            0 => 0,
            <= 100 => 1,
            > 1L << 35 and < 1L << 50 => 3,
            _ => 2,
        };
        Output[2 * index] = sparse;
        Output[2 * index + 1] = bucket;
    }
}

/// <summary>Ternaries nested and chained, and &amp;&amp; / || results kept as bool values (in Debug IL
/// they stay on the stack across the join).</summary>
internal struct TernaryKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int a = Input[2 * index];
        int b = Input[2 * index + 1];
        bool both = a > 0 && b > 0;
        bool either = a < 0 || b < 0;
        bool mixed = (a > b) != (b > 0) && (a & 1) == 1 || b == 0;
        int sign = a > 0 ? 1 : a < 0 ? -1 : 0;
        int larger = a > b ? a : b;
        Output[4 * index] = (both ? 1 : 0) | (either ? 2 : 0) | (mixed ? 4 : 0);
        Output[4 * index + 1] = sign * (b >= 0 ? 3 : 5);
        Output[4 * index + 2] = larger;
        Output[4 * index + 3] = Add(both ? a : b, either || a == b ? 10 : 20);
    }

    private static int Add(int x, int y) => x + y;
}

/// <summary>Short-circuit evaluation guarding work that must not run: an out-of-range read, a
/// division by zero.</summary>
internal struct ShortCircuitKernel : IKernel1D
{
    /// <summary>Pairs (position, divisor); the position may lie outside the table.</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Table;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int position = Input[2 * index];
        int divisor = Input[2 * index + 1];
        int result = 0;
        if (position >= 0 && position < Table.Length && Table[position] > 0)
            result += Table[position];
        if (divisor == 0 || 1000 / divisor > 100)
            result += 1_000_000;
        if (!(divisor != 0 && 7 % divisor == 1))
            result += 10_000;
        Output[index] = result;
    }
}

/// <summary>An early return from inside a loop, and one from a branch.</summary>
internal struct EarlyReturnKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int x = Input[index];
        Output[index] = -1;
        if (x < 0)
            return;
        for (int candidate = 2; candidate * candidate <= x; candidate++)
        {
            if (x % candidate == 0)
            {
                Output[index] = candidate;
                return;
            }
        }
        Output[index] = x;
    }
}

/// <summary>An int-backed enum.</summary>
internal enum Operation
{
    Add,
    Subtract,
    Multiply,
    Negate = 10,
}

/// <summary>A byte-backed enum.</summary>
internal enum Shade : byte
{
    Dark = 1,
    Light = 200,
}

/// <summary>A long-backed enum with a value beyond 32 bits.</summary>
internal enum Scale : long
{
    Unit = 1,
    Huge = 1L << 40,
}

/// <summary>Enums as kernel parameters (int, byte and long backed), as locals, and switched on.</summary>
internal struct EnumKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<long> Output;
    public Operation Operation;
    public Shade Shade;
    public Scale Scale;

    public void Execute(int index)
    {
        long x = Input[index];
        Operation local = x < 0 ? Operation.Negate : Operation;
        long result = local switch
        {
            Operation.Add => x + (long)Shade,
            Operation.Subtract => x - (long)Shade,
            Operation.Multiply => x * (long)Scale,
            _ => -x,
        };
        Output[2 * index] = result;
        Output[2 * index + 1] = (long)local + (Shade == Shade.Light ? 1000 : 0);
    }
}
