using System.Runtime.InteropServices;
using Gpu.Core;
using static Gpu.Conformance.Corpus.CorpusDriver;

namespace Gpu.Conformance.Corpus;

/// <summary>Integer cases: wrapping, division, widths, shifts, comparisons, bools.</summary>
internal static class IntegerCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/int32-wrapping-arithmetic", Int32Wrapping),
        new("corpus/int64-wrapping-arithmetic", Int64Wrapping),
        new("corpus/unsigned-arithmetic", UnsignedArithmetic),
        new("corpus/signed-division-and-min-over-minus-one", SignedDivision),
        new("corpus/small-integer-types", SmallIntegers),
        new("corpus/char", Chars),
        new("corpus/bitwise", Bitwise),
        new("corpus/shift-32-counts-masked", Shift32),
        new("corpus/shift-64-and-promoted-counts-masked", Shift64),
        new("corpus/integer-comparisons-signed-unsigned", IntegerComparisons),
        new("corpus/bool-locals-and-parameter", Bools),
        new("corpus/constant-divisors", ConstantDivisors),
        new("corpus/bool-view-elements", BoolViews),
        new("corpus/char-switch", CharSwitch),
        new("corpus/packed-int8-dot4", PackedDot4),
    ];

    private static void Int32Wrapping(Accelerator accelerator)
    {
        int[] input = EdgeValues.Ints;
        var actual = Map(accelerator, input, new int[input.Length * 4], (i, o) => new Int32WrappingKernel { Input = i, Output = o });
        var expected = new List<int>();
        for (int i = 0; i < input.Length; i++)
        {
            long x = input[i], y = input[^(i + 1)];
            // Wrapping is arithmetic modulo 2^32: compute wide, keep the low 32 bits.
            expected.Add((int)(x * y + 1_000_000_007));
            expected.Add((int)(-x - y));
            expected.Add((int)(x * 65537 - (y * 8)));
            expected.Add((int)(x + 1 + int.MaxValue));
        }
        Check.Exact("int32", expected.ToArray(), actual);
    }

    private static void PackedDot4(Accelerator accelerator)
    {
        // Bytes at the int8 extremes (−128 · −128 is the one product past the int16 range) and
        // accumulators at the int32 ones, so the sum wraps both ways; then random triples.
        int[] operands = [0, 1, -1, 0x7F7F7F7F, unchecked((int)0x80808080), 0x7F807F80, 0x01FF7F80, int.MaxValue, int.MinValue, 0x12345678];
        int[] accumulators = [0, 1, -1, int.MaxValue, int.MinValue, int.MaxValue - 65535, int.MinValue + 65535];
        var triples = new List<int>();
        foreach (int a in operands)
            foreach (int b in operands)
                foreach (int accumulator in accumulators)
                    triples.AddRange([a, b, accumulator]);
        var random = new Random(61);
        for (int i = 0; i < 1000; i++)
            triples.AddRange([random.Next(int.MinValue, int.MaxValue), random.Next(int.MinValue, int.MaxValue), random.Next(int.MinValue, int.MaxValue)]);
        int[] input = [.. triples];
        var actual = Map(accelerator, input, new int[input.Length / 3], (i, o) => new PackedDot4Kernel { Input = i, Output = o }, input.Length / 3);
        var expected = new int[input.Length / 3];
        for (int t = 0; t < expected.Length; t++)
        {
            // The bytes as a little-endian int holds them, read as sbytes; the sum taken wide, cut to 32 bits.
            var a = MemoryMarshal.Cast<int, sbyte>(input.AsSpan(3 * t, 1));
            var b = MemoryMarshal.Cast<int, sbyte>(input.AsSpan(3 * t + 1, 1));
            long sum = input[3 * t + 2];
            for (int i = 0; i < 4; i++)
                sum += a[i] * b[i];
            expected[t] = (int)sum;
        }
        Check.Exact("dot4", expected, actual);
    }

    private static void Int64Wrapping(Accelerator accelerator)
    {
        long[] input = EdgeValues.Longs;
        var actual = Map(accelerator, input, new long[input.Length * 3], (i, o) => new Int64WrappingKernel { Input = i, Output = o });
        var expected = new List<long>();
        for (int i = 0; i < input.Length; i++)
        {
            Int128 x = input[i], y = input[^(i + 1)];
            expected.Add((long)(ulong)(UInt128)(x * y - 0x7FFF_FFFF_FFFF));
            expected.Add((long)(ulong)(UInt128)(-x + unchecked((int)input[i])));
            expected.Add((long)(ulong)(UInt128)(x * 6_364_136_223_846_793_005 + 1_442_695_040_888_963_407));
        }
        Check.Exact("int64", expected.ToArray(), actual);
    }

    private static void UnsignedArithmetic(Accelerator accelerator)
    {
        int[] input = EdgeValues.Ints;
        var actual = Map(accelerator, input, new ulong[input.Length * 6], (i, o) => new UnsignedArithmeticKernel { Input = i, Output = o });
        var expected = new List<ulong>();
        for (int i = 0; i < input.Length; i++)
        {
            ulong a = (uint)input[i], b = (uint)input[^(i + 1)];
            ulong wide = a * 4_294_967_296 + b;
            expected.Add((a + 4_294_967_296 - b) % 4_294_967_296);
            expected.Add(b == 0 ? 0xDEAD : a / b);
            expected.Add(b == 0 ? 0xBEEF : a % b);
            expected.Add(a > b ? 1UL : 0UL);
            expected.Add(wide / (b | 1) + wide % 1_000_003);
            expected.Add((ulong)((UInt128)wide * 0x9E37_79B9_7F4A_7C15 % ((UInt128)1 << 64)));
        }
        Check.Exact("unsigned", expected.ToArray(), actual);
    }

    private static void SignedDivision(Accelerator accelerator)
    {
        int[] values = [0, 1, -1, 2, -2, 7, -7, 3, int.MaxValue, int.MinValue, int.MinValue + 1, 1000, -1000];
        int[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new int[pairs.Length], (i, o) => new SignedDivisionKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            long n = pairs[p], d = pairs[p + 1];
            if (d == 0)
            {
                expected.AddRange([int.MinValue, (int)n]);
                continue;
            }
            // Truncation toward zero: divide magnitudes, then restore the sign; wrap to 32 bits.
            long quotient = Math.Abs(n) / Math.Abs(d) * Math.Sign(n) * Math.Sign(d);
            expected.AddRange([(int)quotient, (int)(n - quotient * d)]);
        }
        Check.Exact("quotient, remainder", expected.ToArray(), actual);
    }

    private static void SmallIntegers(Accelerator accelerator)
    {
        sbyte[] s8 = [0, 1, -1, 42, -43, 127, -128, 100, -100, 64];
        byte[] u8 = [0, 1, 255, 128, 127, 56, 200, 99, 3, 250];
        short[] s16 = [0, -1, 181, 182, -182, short.MaxValue, short.MinValue, 1000, -30000, 256];
        ushort[] u16 = [0, 1, 65535, 40000, 39999, 32768, 21846, 12345, 65000, 7];
        using var s8Buffer = accelerator.Allocate<sbyte>(s8);
        using var u8Buffer = accelerator.Allocate<byte>(u8);
        using var s16Buffer = accelerator.Allocate<short>(s16);
        using var u16Buffer = accelerator.Allocate<ushort>(u16);
        using var output = accelerator.Allocate<int>(s8.Length * 6);
        accelerator.Launch(s8.Length, new SmallIntegerKernel
        {
            Signed8 = s8Buffer.View, Unsigned8 = u8Buffer.View, Signed16 = s16Buffer.View, Unsigned16 = u16Buffer.View, Output = output.View,
        });
        static int Wrap(int value, int bits, bool signed)
        {
            int low = value & ((1 << bits) - 1);
            return signed && low >= 1 << (bits - 1) ? low - (1 << bits) : low;
        }
        var expected = new List<int>();
        for (int i = 0; i < s8.Length; i++)
        {
            expected.Add(s8[i] + u8[i]);
            expected.Add(Wrap(s8[i] * 3, 8, signed: true));
            expected.Add(Wrap(u8[i] + 200, 8, signed: false));
            expected.Add(Wrap(s16[i] * s16[i], 16, signed: true));
            expected.Add(Wrap(u16[i] - 40000, 16, signed: false));
            expected.Add(Wrap(-s8[i], 8, signed: true) ^ (s16[i] >> 4) ^ (u16[i] >> 4));
        }
        Check.Exact("widened", expected.ToArray(), output.ToArray());
        Check.Exact("sbyte stored", s8.Select(v => (sbyte)Wrap(v + 100, 8, signed: true)).ToArray(), s8Buffer.ToArray());
        Check.Exact("ushort stored", u16.Select(v => (ushort)Wrap(v * 3, 16, signed: false)).ToArray(), u16Buffer.ToArray());
    }

    private static void Chars(Accelerator accelerator)
    {
        char[] input = "az AZ09 ~\u00e9\u7fff\u8000\uffff\0m5".ToCharArray();
        var actual = Map(accelerator, input, new char[input.Length], (i, o) => new CharKernel { Input = i, Output = o });
        const string lower = "abcdefghijklmnopqrstuvwxyz", upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", digits = "0123456789";
        var expected = input.Select(c =>
            lower.Contains(c) ? upper[lower.IndexOf(c)]
            : digits.Contains(c) ? digits[9 - digits.IndexOf(c)]
            : c >= 0x8000 ? (char)((c + 0x9000) % 65536)
            : c).ToArray();
        Check.Exact("chars", expected, actual);
    }

    private static void Bitwise(Accelerator accelerator)
    {
        long[] input = EdgeValues.Longs;
        var actual = Map(accelerator, input, new long[input.Length * 5], (i, o) => new BitwiseKernel { Input = i, Output = o });
        var expected = new List<long>();
        foreach (long x in input)
        {
            int low = (int)(x & 0xFFFF_FFFF);
            expected.Add(~x & 0x00FF_00FF_00FF_00FF);
            expected.Add((x | unchecked((long)0x8000_0000_0000_0001UL)) ^ x);
            expected.Add(~low | (low & 0x0F0F0F0F));
            expected.Add(Convert.ToString(x, 2).Count(c => c == '1'));
            expected.Add((uint)low ^ 0xFFFF_0000u);
        }
        Check.Exact("bitwise", expected.ToArray(), actual);
    }

    private static int[] ShiftCounts => [0, 1, 5, 31, 32, 33, 63, 64, 65, 70, -1];

    private static void Shift32(Accelerator accelerator)
    {
        int[] values = [1, -1, 0x1234_5678, int.MinValue, int.MaxValue, -8];
        int[] pairs = [.. values.SelectMany(v => ShiftCounts.SelectMany(c => new[] { v, c }))];
        var actual = Map(accelerator, pairs, new int[pairs.Length * 2], (i, o) => new Shift32Kernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            long value = pairs[p];
            int count = pairs[p + 1] & 31;
            ulong bits = (uint)pairs[p];
            expected.Add((int)(uint)(bits * (1UL << count) & 0xFFFF_FFFF));
            expected.Add((int)Math.Floor(value / Math.Pow(2, count)));
            expected.Add((int)(uint)(bits / (1UL << count)));
            expected.Add((int)(uint)(bits / (1UL << count)));
        }
        Check.Exact("shifts", expected.ToArray(), actual);
    }

    private static void Shift64(Accelerator accelerator)
    {
        long[] values = [1, -1, 0x0123_4567_89AB_CDEF, long.MinValue, long.MaxValue, -300];
        long[] pairs = [.. values.SelectMany(v => ShiftCounts.SelectMany(c => new long[] { v, c }))];
        var actual = Map(accelerator, pairs, new long[pairs.Length / 2 * 5], (i, o) => new Shift64Kernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<long>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            Int128 value = pairs[p];
            int count = (int)pairs[p + 1];
            int wideCount = count & 63, narrowCount = count & 31;
            UInt128 bits = (ulong)pairs[p];
            expected.Add((long)(ulong)(bits * ((UInt128)1 << wideCount) % ((UInt128)1 << 64)));
            // Arithmetic shift = floor division by a power of two.
            Int128 divisor = (Int128)1 << wideCount;
            expected.Add((long)(value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)));
            expected.Add((long)(ulong)(bits / ((UInt128)1 << wideCount)));
            long small = pairs[p] & 0xFF;
            long medium = (short)(pairs[p] & 0xFFFF);
            expected.Add((int)(uint)((ulong)small * (1UL << narrowCount) & 0xFFFF_FFFF));
            expected.Add(medium >= 0 ? medium / (1L << narrowCount) : -((-medium + (1L << narrowCount) - 1) / (1L << narrowCount)));
        }
        Check.Exact("shifts", expected.ToArray(), actual);
    }

    private static void IntegerComparisons(Accelerator accelerator)
    {
        int[] values = [0, 1, -1, int.MaxValue, int.MinValue, 5, -5];
        int[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new int[pairs.Length / 2], (i, o) => new IntegerComparisonKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            long a = pairs[p], b = pairs[p + 1];
            long ua = a & 0xFFFF_FFFF, ub = b & 0xFFFF_FFFF;
            int sign = Math.Sign(a - b), unsignedSign = Math.Sign(ua - ub), mixedSign = Math.Sign(a - ub);
            // (ulong)la vs (ulong)lb: la is a sign-extended (a negative one lies above every zero-extended value).
            bool unsignedGreater = a < 0 || a > ub;
            int mask = (sign < 0 ? 1 : 0) | (sign <= 0 ? 2 : 0) | (sign > 0 ? 4 : 0) | (sign >= 0 ? 8 : 0)
                | (sign == 0 ? 16 : 0) | (sign != 0 ? 32 : 0)
                | (unsignedSign < 0 ? 64 : 0) | (unsignedSign <= 0 ? 128 : 0) | (unsignedSign > 0 ? 256 : 0) | (unsignedSign >= 0 ? 512 : 0)
                | (mixedSign < 0 ? 1024 : 0) | (unsignedGreater ? 2048 : 0);
            expected.Add(mask);
        }
        Check.Exact("comparison masks", expected.ToArray(), actual);
    }

    private static void Bools(Accelerator accelerator)
    {
        int[] input = EdgeValues.Ints;
        foreach (bool invert in new[] { false, true })
        {
            var actual = Map(accelerator, input, new byte[input.Length * 4], (i, o) => new BoolKernel { Input = i, Output = o, Invert = invert });
            var expected = new List<byte>();
            foreach (int x in input)
            {
                int negative = x < 0 ? 1 : 0, even = x % 2 == 0 ? 1 : 0;
                int exactlyOne = negative + even == 1 ? 1 : 0;
                expected.Add((byte)(negative * even));
                expected.Add((byte)Math.Max(negative, even));
                expected.Add((byte)(invert ? 1 - exactlyOne : exactlyOne));
                expected.Add((byte)(negative == even ? 7 : 3));
            }
            Check.Exact($"bools (invert {invert})", expected.ToArray(), actual);
        }
    }


    private static void ConstantDivisors(Accelerator accelerator)
    {
        int[] input = [.. EdgeValues.Ints, -3, -4, -5, 3, 4, 5, -6, 6, -2147483647];
        var actual = Map(accelerator, input, new int[input.Length * 8], (i, o) => new ConstantDivisorKernel { Input = i, Output = o });
        var expected = input.SelectMany(x =>
        {
            // Integer quotients from exact real division: truncated (C#'s /) or floored (>>).
            long Truncated(long d) => (long)Math.Truncate(x / (double)d);
            ulong u = (uint)x;
            return new[]
            {
                (int)Truncated(4), (int)(x - 4 * Truncated(4)), (int)Math.Floor(x / 4.0), (int)Truncated(-3), (int)(x - 7 * Truncated(7)),
                (int)(uint)(u / 3), (int)(u % 10), (int)(x * 1_000_003L / 1000 % 1_000_000_007),
            };
        }).ToArray();
        Check.Exact("quotients, remainders", expected, actual);
    }

    private static void BoolViews(Accelerator accelerator)
    {
        bool[] flags = [false, false, false, true, true, false, true, true];
        var actual = Map(accelerator, flags, new bool[flags.Length / 2 * 3], (i, o) => new BoolViewKernel { Flags = i, Output = o }, flags.Length / 2);
        var expected = flags.Chunk(2).SelectMany(p => new[] { p[0] && !p[1], p[0] == p[1], p[0] || p[1] }).ToArray();
        Check.Exact("flags", expected, actual);
    }

    private static void CharSwitch(Accelerator accelerator)
    {
        char[] input = "aeioubcdz{\uffff\0A~\u00e9x".ToCharArray();
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new CharSwitchKernel { Input = i, Output = o });
        var table = new Dictionary<char, int> { ['a'] = 1, ['e'] = 1, ['i'] = 1, ['o'] = 1, ['u'] = 1, ['b'] = 2, ['c'] = 3, ['\uffff'] = 4, ['\0'] = 5 };
        Check.Exact("classes", input.Select(c => table.TryGetValue(c, out int v) ? v : c > 'z' ? 6 : 0).ToArray(), actual);
    }
}
