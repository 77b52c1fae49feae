using System.Numerics;
using Gpu.Core;
using static Gpu.Conformance.Corpus.CorpusDriver;
using static Gpu.Conformance.Corpus.HostNumerics;

namespace Gpu.Conformance.Corpus;

/// <summary>Conversion and floating-point cases: saturation, rounding, literals, exact arithmetic,
/// contraction, comparisons with NaN.</summary>
internal static class NumericCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/float-to-integer-saturating", FloatToInteger),
        new("corpus/double-to-integer-saturating", DoubleToInteger),
        new("corpus/integer-to-float-rounding", IntegerToFloat),
        new("corpus/integer-narrowing-and-extension", IntegerNarrowing),
        new("corpus/float-double-conversions", FloatDouble),
        new("corpus/float-literals-exact-bits", FloatLiterals),
        new("corpus/double-literals-exact-bits", DoubleLiterals),
        new("corpus/float-arithmetic-exact", FloatArithmetic),
        new("corpus/double-arithmetic-exact", DoubleArithmetic),
        new("corpus/no-fp-contraction", NoContraction),
        new("corpus/float-comparisons-unordered", FloatComparisons),
        new("corpus/double-comparisons-as-values", DoubleComparisons),
        new("corpus/float-and-double-remainder", Remainders),
        new("corpus/bit-casts-and-float-classification", BitCasts),
    ];

    private static void FloatToInteger(Accelerator accelerator)
    {
        float[] input = EdgeValues.Floats;
        var actual = Map(accelerator, input, new long[input.Length * 6], (i, o) => new FloatToIntegerKernel { Input = i, Output = o });
        var expected = input.SelectMany(x => new[]
        {
            (long)SaturatedTruncation(x, int.MinValue, int.MaxValue),
            (long)SaturatedTruncation(x, uint.MinValue, uint.MaxValue),
            (long)SaturatedTruncation(x, long.MinValue, long.MaxValue),
            Wrap(SaturatedTruncation(x, ulong.MinValue, ulong.MaxValue), 64, signed: true),
            SmallFromFloat(x, 16, signed: true),
            SmallFromFloat(x, 8, signed: false),
        }).ToArray();
        Check.Exact("float → int, uint, long, ulong, short, byte", expected, actual);
    }

    private static void DoubleToInteger(Accelerator accelerator)
    {
        double[] input = EdgeValues.Doubles;
        var actual = Map(accelerator, input, new long[input.Length * 4], (i, o) => new DoubleToIntegerKernel { Input = i, Output = o });
        var expected = input.SelectMany(x => new[]
        {
            (long)SaturatedTruncation(x, int.MinValue, int.MaxValue),
            (long)SaturatedTruncation(x, uint.MinValue, uint.MaxValue),
            (long)SaturatedTruncation(x, long.MinValue, long.MaxValue),
            Wrap(SaturatedTruncation(x, ulong.MinValue, ulong.MaxValue), 64, signed: true),
        }).ToArray();
        Check.Exact("double → int, uint, long, ulong", expected, actual);
    }

    private static void IntegerToFloat(Accelerator accelerator)
    {
        long[] input = [.. EdgeValues.Longs, 16_777_217, 16_777_219, -16_777_217, 0x7FFF_FFC0, 0x7FFF_FFBF, (1L << 53) + 1, -(1L << 53) - 3, unchecked((long)0xFFFF_FFFF_FFFF_FC01UL), unchecked((long)0x8000_0000_0000_0401UL)];
        using var inputBuffer = accelerator.Allocate<long>(input);
        using var singles = accelerator.Allocate<float>(input.Length * 4);
        using var doubles = accelerator.Allocate<double>(input.Length * 4);
        accelerator.Launch(input.Length, new IntegerToFloatKernel { Input = inputBuffer.View, Singles = singles.View, Doubles = doubles.View });
        var sources = input.SelectMany(x => new BigInteger[]
        {
            Wrap(x, 32, signed: true), Wrap(x, 32, signed: false), x, (ulong)x,
        }).ToArray();
        CorpusCheck.Floats("to float", sources.Select(s => (float)RoundToSignificantBits(s, 24)).ToArray(), singles.ToArray(), 0);
        CorpusCheck.Doubles("to double", sources.Select(s => RoundToSignificantBits(s, 53)).ToArray(), doubles.ToArray(), 0);
    }

    private static void IntegerNarrowing(Accelerator accelerator)
    {
        long[] input = [.. EdgeValues.Longs, 128, -128, -129, 32768, -32769, 65535, 0x1_8000_0000];
        var actual = Map(accelerator, input, new long[input.Length * 7], (i, o) => new IntegerNarrowingKernel { Input = i, Output = o });
        var expected = input.SelectMany(x => new[]
        {
            Wrap(x, 8, signed: true), Wrap(x, 8, signed: false), Wrap(x, 16, signed: true), Wrap(x, 16, signed: false),
            Wrap(x, 32, signed: true), Wrap(x, 32, signed: false), Wrap(Wrap(x, 8, signed: true), 32, signed: false),
        }).ToArray();
        Check.Exact("narrowed", expected, actual);
    }

    private static void FloatDouble(Accelerator accelerator)
    {
        double[] input = EdgeValues.Doubles;
        var actual = Map(accelerator, input, new double[input.Length * 2], (i, o) => new FloatDoubleKernel { Input = i, Output = o });
        var expected = input.SelectMany(x => new double[] { (float)x, (double)(float)(x * 3.0) - x }).ToArray();
        CorpusCheck.Doubles("float ↔ double", expected, actual, 0);
    }

    private static void FloatLiterals(Accelerator accelerator)
    {
        var actual = Map(accelerator, new float[1], new float[12], (_, o) => new FloatLiteralKernel { Output = o }, 1);
        uint[] expectedBits =
        [
            0xFFC0_0000, 0x7F80_0000, 0xFF80_0000, 0x8000_0000, 0x0000_0001, 0x0001_16C2, 0x7F7F_FFFF, 0xFF7F_FFFF,
            0x3DCC_CCCD, 0x3EAA_AAAB, 0x4B80_0000, 0x0080_0000,
        ];
        Check.Exact("float literal bits", expectedBits, actual.Select(BitConverter.SingleToUInt32Bits).ToArray());
    }

    private static void DoubleLiterals(Accelerator accelerator)
    {
        var actual = Map(accelerator, new double[1], new double[12], (_, o) => new DoubleLiteralKernel { Output = o }, 1);
        ulong[] expectedBits =
        [
            0xFFF8_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x8000_0000_0000_0000,
            0x0000_0000_0000_0001, 0x0000_1268_8B70_E62B, 0x7FEF_FFFF_FFFF_FFFF, 0xFFEF_FFFF_FFFF_FFFF,
            0x3FB9_9999_9999_999A, 0x3FD5_5555_5555_5555, 0x4340_0000_0000_0000, 0x0010_0000_0000_0000,
        ];
        Check.Exact("double literal bits", expectedBits, actual.Select(BitConverter.DoubleToUInt64Bits).ToArray());
    }

    private static void FloatArithmetic(Accelerator accelerator)
    {
        float[] pairs = AllPairs(EdgeValues.Floats);
        var actual = Map(accelerator, pairs, new float[pairs.Length / 2 * 5], (i, o) => new FloatArithmeticKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<float>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            // Each operation in double then rounded once to float is the correctly rounded float result
            // (double's 53 bits exceed 2·24 + 2, so no double rounding).
            double a = pairs[p], b = pairs[p + 1];
            expected.AddRange([(float)(a + b), (float)(a - b), (float)(a * b), (float)(a / b), (float)-a]);
        }
        CorpusCheck.Floats("+ − × ÷ neg", expected.ToArray(), actual, 0);
    }

    private static void DoubleArithmetic(Accelerator accelerator)
    {
        double[] pairs = AllPairs(EdgeValues.Doubles);
        var actual = Map(accelerator, pairs, new double[pairs.Length / 2 * 5], (i, o) => new DoubleArithmeticKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<double>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            double a = pairs[p], b = pairs[p + 1];
            expected.AddRange([a + b, a - b, a * b, a / b, a % b]);
        }
        CorpusCheck.Doubles("+ − × ÷ %", expected.ToArray(), actual, 0);
    }

    private static void NoContraction(Accelerator accelerator)
    {
        // a·b is inexact in float for these, so a fused a·b + c rounds differently from C#.
        float[] triples =
        [
            1.0000001f, 1.0000001f, -1.0000002f,
            16_777_215f, 1.0000001f, -16_777_216f,
            0.1f, 10f, -1f,
            3.4e38f, 2f, -3.4e38f,
            1e-20f, 1e-20f, 0f,
            1.1f, 1.1f, -1.21f,
        ];
        var actual = Map(accelerator, triples, new float[triples.Length], (i, o) => new NoContractionKernel { Input = i, Output = o }, triples.Length / 3);
        var expected = new List<float>();
        for (int t = 0; t < triples.Length; t += 3)
        {
            double a = triples[t], b = triples[t + 1], c = triples[t + 2];
            float product = (float)(a * b);
            expected.AddRange([(float)(product + c), (float)(product - c), (float)(product - (double)(float)(c * a))]);
        }
        CorpusCheck.Floats("a·b ± c", expected.ToArray(), actual, 0);
    }

    private static void FloatComparisons(Accelerator accelerator)
    {
        float[] values = [0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon];
        float[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new int[pairs.Length / 2], (i, o) => new FloatComparisonKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            var (less, equal, greater, unordered) = Compare(pairs[p], pairs[p + 1]);
            bool[] bits =
            [
                less, less || equal, greater, greater || equal, equal, !equal,
                !less, !(less || equal), !greater, !(greater || equal), float.IsNaN(pairs[p]), true,
            ];
            expected.Add(bits.Select((set, bit) => set ? 1 << bit : 0).Sum());
        }
        Check.Exact("comparison masks", expected.ToArray(), actual);
    }

    private static void DoubleComparisons(Accelerator accelerator)
    {
        double[] values = [0d, -0d, 2d, double.NaN, double.NegativeInfinity, double.MaxValue];
        double[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new int[pairs.Length / 2], (i, o) => new DoubleComparisonKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = new List<int>();
        for (int p = 0; p < pairs.Length; p += 2)
        {
            var (less, equal, greater, _) = Compare(pairs[p], pairs[p + 1]);
            expected.Add((less ? 1 : 0) + (!(greater || equal) ? 2 : 0) + (equal ? 4 : 0) + (!equal ? 8 : 0));
        }
        Check.Exact("comparison sums", expected.ToArray(), actual);
    }


    private static void Remainders(Accelerator accelerator)
    {
        float[] values = [0f, -0f, 1f, -1f, 2.5f, -7.25f, 3f, 1e10f, 1e-40f, float.MaxValue, float.PositiveInfinity, float.NaN, 0.1f];
        float[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new double[pairs.Length], (i, o) => new RemainderKernel { Input = i, Output = o }, pairs.Length / 2);
        // fmod is exact: the double remainder of two floats is itself a float.
        var expected = pairs.Chunk(2).SelectMany(p => new[] { (double)p[0] % p[1], p[0] * 1.5 % (p[1] * 0.75) }).ToArray();
        CorpusCheck.Doubles("remainders", expected, actual, 0);
    }


    private static void BitCasts(Accelerator accelerator)
    {
        float[] input = EdgeValues.Floats;
        var actual = Map(accelerator, input, new int[input.Length * 4], (i, o) => new BitCastKernel { Input = i, Output = o });
        var expected = input.SelectMany(x =>
        {
            var bytes = BitConverter.GetBytes(x);
            int bits = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24;
            int exponent = (bits >> 23) & 0xFF, mantissa = bits & 0x7F_FFFF;
            bool nan = exponent == 0xFF && mantissa != 0, infinite = exponent == 0xFF && mantissa == 0;
            // The double's high word: sign, exponent rebiased from 127 to 1023, top 20 mantissa bits.
            int high = (int)(BitConverter.DoubleToInt64Bits(x) >> 32);
            return new[] { bits, bits ^ int.MinValue, high, (nan ? 1 : 0) | (infinite ? 2 : 0) | (bits < 0 ? 4 : 0) | (!nan && !infinite ? 8 : 0) | (nan ? 16 : 0) };
        }).ToArray();
        Check.Exact("bits, flipped, high word, class", expected, actual);
    }
}
