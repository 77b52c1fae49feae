using Gpu.Core;
using static Gpu.Conformance.Corpus.CorpusDriver;

namespace Gpu.Conformance.Corpus;

/// <summary>Math and MathF cases. Bounds: 0 ulp where .NET and OpenCL both round correctly (sqrt
/// with -cl-fp32-correctly-rounded-divide-sqrt, floor/ceil/rint/trunc, min/max, fma); elsewhere the
/// OpenCL 1.2 bound for the builtin (single: exp 3, log 3, pow 16, sin/cos 4, tanh 5 ulp; double
/// the same) plus 1 ulp for the host's libm.</summary>
internal static class MathCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/sqrt-correctly-rounded", Sqrt),
        new("corpus/mathf-exp-log", ExpLog),
        new("corpus/mathf-pow", Pow),
        new("corpus/mathf-sin-cos-tanh", Trig),
        new("corpus/math-double-transcendentals", DoubleTranscendentals),
        new("corpus/floor-ceiling-round-truncate", Rounding),
        new("corpus/min-max-nan-and-signed-zero", MinMax),
        new("corpus/abs-and-clamp", AbsClamp),
        new("corpus/fused-multiply-add", FusedMultiplyAdd),
        new("corpus/integer-min-max-abs-clamp-all-widths", IntegerMath),
    ];

    private static T[] Every<T>(T[] values, int stride, int offset) => [.. values.Where((_, i) => i % stride == offset)];

    private static void Sqrt(Accelerator accelerator)
    {
        double[] input = [.. EdgeValues.Doubles, 2d, 3d, 1e-40d, 16_777_215d];
        var actual = Map(accelerator, input, new double[input.Length * 2], (i, o) => new SqrtKernel { Input = i, Output = o });
        CorpusCheck.Floats("MathF.Sqrt", input.Select(x => MathF.Sqrt((float)x)).ToArray(), Every(actual, 2, 0).Select(d => (float)d).ToArray(), 0);
        CorpusCheck.Doubles("Math.Sqrt", input.Select(Math.Sqrt).ToArray(), Every(actual, 2, 1), 0);
    }

    private static void ExpLog(Accelerator accelerator)
    {
        float[] input = [.. EdgeValues.Floats, -100f, -87.3f, 88.7f, 88.8f, 2.7182817f, 1e-30f, 0.999f];
        var actual = Map(accelerator, input, new float[input.Length * 2], (i, o) => new ExpLogKernel { Input = i, Output = o });
        CorpusCheck.Floats("exp", input.Select(MathF.Exp).ToArray(), Every(actual, 2, 0), 3 + 1);
        CorpusCheck.Floats("log", input.Select(x => MathF.Log(x)).ToArray(), Every(actual, 2, 1), 3 + 1);
    }

    private static void Pow(Accelerator accelerator)
    {
        float[] bases = [0f, -0f, 1f, -1f, 2f, -2f, 0.5f, 10f, -8f, 1e-3f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        float[] exponents = [0f, -0f, 1f, 2f, 3f, -1f, 0.5f, 1f / 3f, 2.5f, 10f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        float[] pairs = [.. bases.SelectMany(b => exponents.SelectMany(e => new[] { b, e }))];
        var actual = Map(accelerator, pairs, new float[pairs.Length / 2], (i, o) => new PowKernel { Input = i, Output = o }, pairs.Length / 2);
        var expected = Enumerable.Range(0, pairs.Length / 2).Select(p => MathF.Pow(pairs[2 * p], pairs[2 * p + 1])).ToArray();
        CorpusCheck.Floats("pow", expected, actual, 16 + 1);
    }

    private static void Trig(Accelerator accelerator)
    {
        float[] input = [0f, -0f, 1e-6f, 0.5f, -1f, 1.5707964f, 3.1415927f, -9f, 10f, 20f, -100f, 1000f, 1e4f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        var actual = Map(accelerator, input, new float[input.Length * 3], (i, o) => new TrigKernel { Input = i, Output = o });
        CorpusCheck.Floats("sin", input.Select(MathF.Sin).ToArray(), Every(actual, 3, 0), 4 + 1);
        CorpusCheck.Floats("cos", input.Select(MathF.Cos).ToArray(), Every(actual, 3, 1), 4 + 1);
        CorpusCheck.Floats("tanh", input.Select(MathF.Tanh).ToArray(), Every(actual, 3, 2), 5 + 1);
    }

    private static void DoubleTranscendentals(Accelerator accelerator)
    {
        double[] input = [0d, -0d, 0.5d, 1d, 2d, -3d, 3.141592653589793d, 10d, 100d, 700d, 710d, 1e-300d, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        var actual = Map(accelerator, input, new double[input.Length * 6], (i, o) => new DoubleTranscendentalKernel { Input = i, Output = o });
        CorpusCheck.Doubles("exp", input.Select(Math.Exp).ToArray(), Every(actual, 6, 0), 3 + 1);
        CorpusCheck.Doubles("log", input.Select(x => Math.Log(x)).ToArray(), Every(actual, 6, 1), 3 + 1);
        CorpusCheck.Doubles("pow", input.Select(x => Math.Pow(x, 1.5)).ToArray(), Every(actual, 6, 2), 16 + 1);
        CorpusCheck.Doubles("sin", input.Select(Math.Sin).ToArray(), Every(actual, 6, 3), 4 + 1);
        CorpusCheck.Doubles("cos", input.Select(Math.Cos).ToArray(), Every(actual, 6, 4), 4 + 1);
        CorpusCheck.Doubles("tanh", input.Select(Math.Tanh).ToArray(), Every(actual, 6, 5), 5 + 1);
    }

    private static void Rounding(Accelerator accelerator)
    {
        float[] input = [.. EdgeValues.Floats, 0.49999997f, -1.5f, 3.5f, -3.5f, 4.5f, 8_388_609f, -0.3f];
        var actual = Map(accelerator, input, new float[input.Length * 6], (i, o) => new RoundingKernel { Input = i, Output = o });
        var expected = new List<float>();
        foreach (float x in input)
        {
            // Integral results, from the definitions: the largest integer not above x, and so on;
            // zero results keep the sign of x (C# and IEEE agree: Ceiling(-0.5) is -0).
            double floor = Math.Floor((double)x), truncated = x >= 0 ? floor : -Math.Floor(-(double)x);
            double ceiling = -Math.Floor(-(double)x);
            double fraction = x - floor;
            double nearestEven = fraction > 0.5 || (fraction == 0.5 && floor % 2 != 0) ? floor + 1 : floor;
            static float SignedZero(double value, float x) => value == 0 ? (float.IsNegative(x) ? -0f : 0f) : (float)value;
            float round = float.IsFinite(x) ? SignedZero(nearestEven, x) : x;
            expected.AddRange([SignedZero(floor, x), SignedZero(ceiling, x), round, SignedZero(truncated, x), round,
                float.IsNaN(x) ? x : SignedZero(-ceiling, -x)]);
        }
        CorpusCheck.Floats("floor, ceiling, round, truncate", expected.ToArray(), actual, 0);
    }

    private static void MinMax(Accelerator accelerator)
    {
        float[] values = [0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3.5f, -1e10f, 3e9f];
        float[] pairs = AllPairs(values);
        int count = pairs.Length / 2;
        using var input = accelerator.Allocate<float>(pairs);
        using var output = accelerator.Allocate<float>(pairs.Length);
        using var doubles = accelerator.Allocate<double>(pairs.Length);
        using var ints = accelerator.Allocate<int>(pairs.Length);
        accelerator.Launch(count, new MinMaxKernel { Input = input.View, Output = output.View, DoubleOutput = doubles.View, IntOutput = ints.View });
        // .NET: a NaN operand gives NaN; between equal values the negative zero is the smaller.
        static float Pick(float a, float b, bool max)
        {
            if (float.IsNaN(a) || float.IsNaN(b))
                return float.NaN;
            if (a == b)
                return float.IsNegative(a) == max ? b : a;
            return (a < b) == max ? b : a;
        }
        var expected = pairs.Chunk(2).SelectMany(p => new[] { Pick(p[0], p[1], max: false), Pick(p[0], p[1], max: true) }).ToArray();
        CorpusCheck.Floats("MathF.Min/Max", expected, output.ToArray(), 0);
        CorpusCheck.Doubles("Math.Min/Max (double)", expected.Select(f => (double)f).ToArray(), doubles.ToArray(), 0);
        static long Int(float f) => (long)HostNumerics.SaturatedTruncation(f, int.MinValue, int.MaxValue);
        var expectedInts = pairs.Chunk(2).SelectMany(p => new[]
        {
            (int)Math.Min(Int(p[0]), Int(p[1])),
            (int)HostNumerics.Wrap(Math.Max(Int(p[0]) & 0xFFFF_FFFF, Int(p[1]) & 0xFFFF_FFFF), 32, signed: true),
        }).ToArray();
        Check.Exact("Math.Min (int), Math.Max (uint)", expectedInts, ints.ToArray());
    }

    private static void AbsClamp(Accelerator accelerator)
    {
        IlgpuRefusals.SkipOnIlgpuDevices<AbsClampKernel>(accelerator);
        float[] input = [.. EdgeValues.Floats, -2.5f, -2.6f, 100.5f, -3.5f, 1000f, 1001f];
        using var inputBuffer = accelerator.Allocate<float>(input);
        using var output = accelerator.Allocate<float>(input.Length * 3);
        using var ints = accelerator.Allocate<int>(input.Length * 2);
        accelerator.Launch(input.Length, new AbsClampKernel { Input = inputBuffer.View, Output = output.View, IntOutput = ints.View });
        static float Abs(float x) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) & int.MaxValue);
        var expected = input.SelectMany(x => new[] { Abs(x), float.IsNaN(x) ? x : x < -2.5f ? -2.5f : x > 100f ? 100f : x, Abs(x) }).ToArray();
        CorpusCheck.Floats("abs, clamp", expected, output.ToArray(), 0);
        var expectedInts = input.SelectMany(x =>
        {
            long i = (long)HostNumerics.SaturatedTruncation(x, int.MinValue, int.MaxValue);
            return new[] { i == int.MinValue ? -1 : (int)Math.Abs(i), (int)Math.Min(Math.Max(i, -3), 1000) };
        }).ToArray();
        Check.Exact("int abs, clamp", expectedInts, ints.ToArray());
    }

    private static void FusedMultiplyAdd(Accelerator accelerator)
    {
        float[] triples =
        [
            1.0000001f, 1.0000001f, -1.0000002f, 16_777_215f, 1.0000001f, -16_777_216f, 0.1f, 10f, -1f,
            3.4e38f, 2f, -3.4e38f, 1e-20f, 1e-20f, 0f, 1.1f, 1.1f, -1.21f, float.PositiveInfinity, 0f, 1f,
            float.NaN, 1f, 1f, -0f, 1f, 0f, 1e-38f, 1e-7f, 0f,
        ];
        int count = triples.Length / 3;
        using var input = accelerator.Allocate<float>(triples);
        using var output = accelerator.Allocate<float>(count);
        using var doubles = accelerator.Allocate<double>(count);
        accelerator.Launch(count, new FusedMultiplyAddKernel { Input = input.View, Output = output.View, DoubleOutput = doubles.View });
        var chunks = triples.Chunk(3).ToArray();
        CorpusCheck.Floats("MathF.FusedMultiplyAdd", chunks.Select(t => MathF.FusedMultiplyAdd(t[0], t[1], t[2])).ToArray(), output.ToArray(), 0);
        CorpusCheck.Doubles("Math.FusedMultiplyAdd", chunks.Select(t => Math.FusedMultiplyAdd(t[0] * 1.0000000000000002, t[1], t[2])).ToArray(), doubles.ToArray(), 0);
    }


    private static void IntegerMath(Accelerator accelerator)
    {
        long[] values = [0, 1, -1, 300, -300, 40_000, -40_000, 3_000_000_001, long.MaxValue, long.MinValue, 1L << 41, -5];
        long[] pairs = AllPairs(values);
        var actual = Map(accelerator, pairs, new long[pairs.Length / 2 * 10], (i, o) => new IntegerMathKernel { Input = i, Output = o }, pairs.Length / 2);
        static long Narrow(long v, int bits, bool signed) => HostNumerics.Wrap(v, bits, signed);
        var expected = pairs.Chunk(2).SelectMany(p =>
        {
            long a = p[0], b = p[1];
            var ua = (System.Numerics.BigInteger)(ulong)a;
            var ub = (System.Numerics.BigInteger)(ulong)b;
            long clampedUnsigned = Math.Min(Math.Max(Narrow(a, 32, signed: false), 10), 3_000_000_000);
            double half = a * 0.5;
            return new[]
            {
                a < b ? a : b, (long)(ulong)(ua > ub ? ua : ub),
                Math.Max(Narrow(a, 16, true), Narrow(b, 16, true)), Math.Min(Narrow(a, 8, false), Narrow(b, 8, false)),
                Math.Max(Narrow(a, 8, true), Narrow(b, 8, true)),
                a == long.MinValue ? 0 : a < 0 ? -a : a,
                Narrow(a, 16, true) == short.MinValue ? 0 : Math.Abs(Narrow(a, 16, true)),
                a < -1000 ? -1000 : a > 1L << 40 ? 1L << 40 : a,
                clampedUnsigned,
                BitConverter.DoubleToInt64Bits(half < -2.5 ? -2.5 : half > 1e12 ? 1e12 : half),
            };
        }).ToArray();
        Check.Exact("min, max, abs, clamp", expected, actual);
    }
}
