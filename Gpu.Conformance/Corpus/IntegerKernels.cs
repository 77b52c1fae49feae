using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

// Integer arithmetic as C# defines it: wrapping (unchecked) overflow, truncating division,
// shift counts masked to the operand width, unsigned opcodes, narrowing that wraps.

/// <summary>int arithmetic that overflows: products, sums, negation and increments wrap.</summary>
internal struct Int32WrappingKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int x = Input[index];
        int y = Input[Input.Length - 1 - index];
        int k = index * 4;
        Output[k] = x * y + 1_000_000_007;
        Output[k + 1] = -x - y;
        Output[k + 2] = x * 65537 - (y << 3);
        int counter = x;
        counter++;
        counter += int.MaxValue;
        Output[k + 3] = counter;
    }
}

/// <summary>long arithmetic that overflows, mixing in an int operand that sign-extends.</summary>
internal struct Int64WrappingKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long x = Input[index];
        long y = Input[Input.Length - 1 - index];
        int small = (int)x;
        Output[index * 3] = x * y - 0x7FFF_FFFF_FFFFL;
        Output[index * 3 + 1] = -x + small;
        Output[index * 3 + 2] = x * 6_364_136_223_846_793_005L + 1_442_695_040_888_963_407L;
    }
}

/// <summary>uint and ulong arithmetic: wrap-around subtraction, unsigned division and remainder, comparisons.</summary>
internal struct UnsignedArithmeticKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<ulong> Output;

    public void Execute(int index)
    {
        uint a = (uint)Input[index];
        uint b = (uint)Input[Input.Length - 1 - index];
        ulong wide = ((ulong)a << 32) | b;
        int k = index * 6;
        Output[k] = a - b;
        Output[k + 1] = b == 0 ? 0xDEADu : a / b;
        Output[k + 2] = b == 0 ? 0xBEEFu : a % b;
        Output[k + 3] = a > b ? 1u : 0u;
        Output[k + 4] = wide / (b | 1u) + wide % 1_000_003u;
        Output[k + 5] = wide * 0x9E37_79B9_7F4A_7C15UL;
    }
}

/// <summary>Signed division and remainder truncate toward zero; int.MinValue / -1 through the
/// guard C# code must write (the bare division throws on the CPU).</summary>
internal struct SignedDivisionKernel : IKernel1D
{
    /// <summary>Pairs (numerator, denominator).</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int n = Input[2 * index];
        int d = Input[2 * index + 1];
        int quotient, remainder;
        if (d == 0)
        {
            quotient = int.MinValue;
            remainder = n;
        }
        else if (d == -1)
        {
            quotient = -n;
            remainder = 0;
        }
        else
        {
            quotient = n / d;
            remainder = n % d;
        }
        Output[2 * index] = quotient;
        Output[2 * index + 1] = remainder;
    }
}

/// <summary>sbyte, byte, short and ushort: arithmetic promotes to int, stores narrow and wrap,
/// loads sign- or zero-extend.</summary>
internal struct SmallIntegerKernel : IKernel1D
{
    public ArrayView<sbyte> Signed8;
    public ArrayView<byte> Unsigned8;
    public ArrayView<short> Signed16;
    public ArrayView<ushort> Unsigned16;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        sbyte s8 = Signed8[index];
        byte u8 = Unsigned8[index];
        short s16 = Signed16[index];
        ushort u16 = Unsigned16[index];
        int k = index * 6;
        Output[k] = s8 + u8;
        Output[k + 1] = (sbyte)(s8 * 3);
        Output[k + 2] = (byte)(u8 + 200);
        Output[k + 3] = (short)(s16 * s16);
        Output[k + 4] = (ushort)(u16 - 40000);
        sbyte negated = (sbyte)-s8;
        Output[k + 5] = negated ^ (s16 >> 4) ^ (u16 >> 4);
        Signed8[index] = (sbyte)(s8 + 100);
        Unsigned16[index] = (ushort)(u16 * 3);
    }
}

/// <summary>char as an unsigned 16-bit type: range tests, arithmetic, a stored char.</summary>
internal struct CharKernel : IKernel1D
{
    public ArrayView<char> Input;
    public ArrayView<char> Output;

    public void Execute(int index)
    {
        char c = Input[index];
        char result;
        if (c >= 'a' && c <= 'z')
            result = (char)(c - 'a' + 'A');
        else if (c >= '0' && c <= '9')
            result = (char)('9' - (c - '0'));
        else if (c > '\u7FFF')
            result = (char)(c + 0x9000);
        else
            result = c;
        Output[index] = result;
    }
}

/// <summary>and, or, xor, not on int and ulong, and a bit count by loop.</summary>
internal struct BitwiseKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long x = Input[index];
        ulong u = (ulong)x;
        int low = (int)x;
        int bits = 0;
        for (ulong rest = u; rest != 0; rest &= rest - 1)
            bits++;
        int k = index * 5;
        Output[k] = ~x & 0x00FF_00FF_00FF_00FFL;
        Output[k + 1] = (long)(u | 0x8000_0000_0000_0001UL) ^ x;
        Output[k + 2] = ~low | (low & 0x0F0F0F0F);
        Output[k + 3] = bits;
        Output[k + 4] = (uint)low ^ 0xFFFF_0000u;
    }
}

/// <summary>32-bit shifts with run-time counts 0..70: C# masks counts to 5 bits; >> is arithmetic
/// on int and logical on uint; >>> is logical on int.</summary>
internal struct Shift32Kernel : IKernel1D
{
    /// <summary>Pairs (value, count).</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int value = Input[2 * index];
        int count = Input[2 * index + 1];
        uint unsignedValue = (uint)value;
        int k = index * 4;
        Output[k] = value << count;
        Output[k + 1] = value >> count;
        Output[k + 2] = value >>> count;
        Output[k + 3] = (int)(unsignedValue >> count);
    }
}

/// <summary>64-bit shifts with run-time counts: masked to 6 bits; and byte/short operands, which
/// promote to int and so mask to 5 bits.</summary>
internal struct Shift64Kernel : IKernel1D
{
    /// <summary>Pairs (value, count).</summary>
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long value = Input[2 * index];
        int count = (int)Input[2 * index + 1];
        ulong unsignedValue = (ulong)value;
        byte small = (byte)value;
        short medium = (short)value;
        int k = index * 5;
        Output[k] = value << count;
        Output[k + 1] = value >> count;
        Output[k + 2] = (long)(unsignedValue >> count);
        Output[k + 3] = small << count;
        Output[k + 4] = medium >> count;
    }
}

/// <summary>The same bits compared as signed and as unsigned, as int and as long.</summary>
internal struct IntegerComparisonKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int a = Input[2 * index];
        int b = Input[2 * index + 1];
        uint ua = (uint)a, ub = (uint)b;
        long la = a, lb = (uint)b;
        int mask = 0;
        if (a < b) mask |= 1;
        if (a <= b) mask |= 2;
        if (a > b) mask |= 4;
        if (a >= b) mask |= 8;
        if (a == b) mask |= 16;
        if (a != b) mask |= 32;
        if (ua < ub) mask |= 64;
        if (ua <= ub) mask |= 128;
        if (ua > ub) mask |= 256;
        if (ua >= ub) mask |= 512;
        if (la < lb) mask |= 1024;
        if ((ulong)la > (ulong)lb) mask |= 2048;
        Output[index] = mask;
    }
}

/// <summary>bool locals, a bool kernel parameter, logical operators on bools, bools stored as bytes.</summary>
internal struct BoolKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<byte> Output;
    /// <summary>Flips every answer when set.</summary>
    public bool Invert;

    public void Execute(int index)
    {
        int x = Input[index];
        bool negative = x < 0;
        bool even = (x & 1) == 0;
        bool both = negative & even;
        bool either = negative | even;
        bool exactlyOne = negative ^ even;
        bool answer = Invert ? !exactlyOne : exactlyOne;
        Output[index * 4] = (byte)(both ? 1 : 0);
        Output[index * 4 + 1] = (byte)(either ? 1 : 0);
        Output[index * 4 + 2] = answer ? (byte)1 : (byte)0;
        Output[index * 4 + 3] = (byte)(negative == even ? 7 : 3);
    }
}

/// <summary>Division and remainder by constants (which C compilers strength-reduce) on negative and
/// unsigned operands, next to the shifts they must not be confused with.</summary>
internal struct ConstantDivisorKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int x = Input[index];
        uint u = (uint)x;
        long l = x;
        int k = index * 8;
        Output[k] = x / 4;
        Output[k + 1] = x % 4;
        Output[k + 2] = x >> 2;
        Output[k + 3] = x / -3;
        Output[k + 4] = x % 7;
        Output[k + 5] = (int)(u / 3);
        Output[k + 6] = (int)(u % 10);
        Output[k + 7] = (int)(l * 1_000_003 / 1000 % 1_000_000_007);
    }
}

/// <summary>bool as a view element: read, combined, written back.</summary>
internal struct BoolViewKernel : IKernel1D
{
    /// <summary>Pairs of flags.</summary>
    public ArrayView<bool> Flags;
    public ArrayView<bool> Output;

    public void Execute(int index)
    {
        bool a = Flags[2 * index], b = Flags[2 * index + 1];
        Output[3 * index] = a && !b;
        Output[3 * index + 1] = a == b;
        Output[3 * index + 2] = a | b;
    }
}

/// <summary>A switch on char (a jump table over a 16-bit unsigned value).</summary>
internal struct CharSwitchKernel : IKernel1D
{
    public ArrayView<char> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        char c = Input[index];
        int value;
        switch (c)
        {
            case 'a': case 'e': case 'i': case 'o': case 'u': value = 1; break;
            case 'b': value = 2; break;
            case 'c': value = 3; break;
            case '\uffff': value = 4; break;
            case '\0': value = 5; break;
            default: value = c > 'z' ? 6 : 0; break;
        }
        Output[index] = value;
    }
}

/// <summary>PackedInt8.Dot4 on triples (a, b, accumulator): CUDA's dp4a or the prelude's multiplies.</summary>
internal struct PackedDot4Kernel : IKernel1D
{
    /// <summary>Triples (a, b, accumulator).</summary>
    public ArrayView<int> Input;
    public ArrayView<int> Output;

    public void Execute(int index) => Output[index] = PackedInt8.Dot4(Input[3 * index], Input[3 * index + 1], Input[3 * index + 2]);
}
