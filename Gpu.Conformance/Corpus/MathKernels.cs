using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

// Math and MathF: correctly rounded where C# is (sqrt, rounding, min/max, FMA), within the OpenCL
// builtins' documented ulp bounds where it is not (exp, log, pow, sin, cos, tanh).

/// <summary>Square roots of float and double.</summary>
internal struct SqrtKernel : IKernel1D
{
    public ArrayView<double> Input;
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        double x = Input[index];
        Output[2 * index] = MathF.Sqrt((float)x);
        Output[2 * index + 1] = Math.Sqrt(x);
    }
}

/// <summary>MathF.Exp and MathF.Log.</summary>
internal struct ExpLogKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        float x = Input[index];
        Output[2 * index] = MathF.Exp(x);
        Output[2 * index + 1] = MathF.Log(x);
    }
}

/// <summary>MathF.Pow over pairs.</summary>
internal struct PowKernel : IKernel1D
{
    /// <summary>Pairs (base, exponent).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index) => Output[index] = MathF.Pow(Input[2 * index], Input[2 * index + 1]);
}

/// <summary>MathF.Sin, Cos and Tanh.</summary>
internal struct TrigKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        float x = Input[index];
        Output[3 * index] = MathF.Sin(x);
        Output[3 * index + 1] = MathF.Cos(x);
        Output[3 * index + 2] = MathF.Tanh(x);
    }
}

/// <summary>Math.Exp, Log, Pow, Sin, Cos, Tanh on double.</summary>
internal struct DoubleTranscendentalKernel : IKernel1D
{
    public ArrayView<double> Input;
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        double x = Input[index];
        int k = index * 6;
        Output[k] = Math.Exp(x);
        Output[k + 1] = Math.Log(x);
        Output[k + 2] = Math.Pow(x, 1.5);
        Output[k + 3] = Math.Sin(x);
        Output[k + 4] = Math.Cos(x);
        Output[k + 5] = Math.Tanh(x);
    }
}

/// <summary>Floor, Ceiling, Round (to even) and Truncate on float and double.</summary>
internal struct RoundingKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        float x = Input[index];
        int k = index * 6;
        Output[k] = MathF.Floor(x);
        Output[k + 1] = MathF.Ceiling(x);
        Output[k + 2] = MathF.Round(x);
        Output[k + 3] = MathF.Truncate(x);
        Output[k + 4] = (float)Math.Round((double)x);
        Output[k + 5] = (float)Math.Floor(-(double)x);
    }
}

/// <summary>Min and Max with .NET's rules: NaN wins, -0 is below +0; float, double and int.</summary>
internal struct MinMaxKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    public ArrayView<double> DoubleOutput;
    public ArrayView<int> IntOutput;

    public void Execute(int index)
    {
        float a = Input[2 * index];
        float b = Input[2 * index + 1];
        Output[2 * index] = MathF.Min(a, b);
        Output[2 * index + 1] = MathF.Max(a, b);
        DoubleOutput[2 * index] = Math.Min((double)a, b);
        DoubleOutput[2 * index + 1] = Math.Max((double)a, b);
        int ia = (int)a, ib = (int)b;
        uint ua = (uint)ia, ub = (uint)ib;
        IntOutput[2 * index] = Math.Min(ia, ib);
        IntOutput[2 * index + 1] = (int)Math.Max(ua, ub);
    }
}

/// <summary>Abs and Clamp on float, double and int.</summary>
internal struct AbsClampKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    public ArrayView<int> IntOutput;

    public void Execute(int index)
    {
        float x = Input[index];
        Output[3 * index] = MathF.Abs(x);
        Output[3 * index + 1] = Math.Clamp(x, -2.5f, 100f);
        Output[3 * index + 2] = (float)Math.Abs(-(double)x);
        int i = (int)x;
        IntOutput[2 * index] = i == int.MinValue ? -1 : Math.Abs(i);
        IntOutput[2 * index + 1] = Math.Clamp(i, -3, 1000);
    }
}

/// <summary>FusedMultiplyAdd rounds once, on float and double.</summary>
internal struct FusedMultiplyAddKernel : IKernel1D
{
    /// <summary>Triples (a, b, c).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    public ArrayView<double> DoubleOutput;

    public void Execute(int index)
    {
        float a = Input[3 * index], b = Input[3 * index + 1], c = Input[3 * index + 2];
        Output[index] = MathF.FusedMultiplyAdd(a, b, c);
        DoubleOutput[index] = Math.FusedMultiplyAdd((double)a * 1.0000000000000002, b, c);
    }
}

/// <summary>Math.Min, Max, Abs and Clamp on every integer width and Clamp on double.</summary>
internal struct IntegerMathKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long a = Input[2 * index], b = Input[2 * index + 1];
        int k = index * 10;
        Output[k] = Math.Min(a, b);
        Output[k + 1] = (long)Math.Max((ulong)a, (ulong)b);
        Output[k + 2] = Math.Max((short)a, (short)b);
        Output[k + 3] = Math.Min((byte)a, (byte)b);
        Output[k + 4] = Math.Max((sbyte)a, (sbyte)b);
        Output[k + 5] = a == long.MinValue ? 0 : Math.Abs(a);
        Output[k + 6] = (short)a == short.MinValue ? 0 : Math.Abs((short)a);
        Output[k + 7] = Math.Clamp(a, -1000L, 1L << 40);
        Output[k + 8] = (long)Math.Clamp((uint)a, 10u, 3_000_000_000u);
        Output[k + 9] = BitConverter.DoubleToInt64Bits(Math.Clamp(a * 0.5, -2.5, 1e12));
    }
}
