using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

// IEEE semantics C# guarantees: exact literals, correctly rounded + − × ÷, no contraction of a·b + c,
// ordered and unordered comparisons with NaN.

/// <summary>Float literals that must reach the device bit for bit.</summary>
internal struct FloatLiteralKernel : IKernel1D
{
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        Output[0] = float.NaN;
        Output[1] = float.PositiveInfinity;
        Output[2] = float.NegativeInfinity;
        Output[3] = -0f;
        Output[4] = float.Epsilon;
        Output[5] = 1e-40f;
        Output[6] = float.MaxValue;
        Output[7] = float.MinValue;
        Output[8] = 0.1f;
        Output[9] = 1f / 3f;
        Output[10] = 16_777_217f;
        Output[11] = 1.17549435e-38f;
    }
}

/// <summary>Double literals that must reach the device bit for bit.</summary>
internal struct DoubleLiteralKernel : IKernel1D
{
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        Output[0] = double.NaN;
        Output[1] = double.PositiveInfinity;
        Output[2] = double.NegativeInfinity;
        Output[3] = -0d;
        Output[4] = double.Epsilon;
        Output[5] = 1e-310;
        Output[6] = double.MaxValue;
        Output[7] = double.MinValue;
        Output[8] = 0.1;
        Output[9] = 1d / 3d;
        Output[10] = 9_007_199_254_740_993d;
        Output[11] = 2.2250738585072014e-308;
    }
}

/// <summary>The four operations and negation on float, edge values included.</summary>
internal struct FloatArithmeticKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        float a = Input[2 * index];
        float b = Input[2 * index + 1];
        int k = index * 5;
        Output[k] = a + b;
        Output[k + 1] = a - b;
        Output[k + 2] = a * b;
        Output[k + 3] = a / b;
        Output[k + 4] = -a;
    }
}

/// <summary>The four operations on double, edge values included.</summary>
internal struct DoubleArithmeticKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<double> Input;
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        double a = Input[2 * index];
        double b = Input[2 * index + 1];
        int k = index * 5;
        Output[k] = a + b;
        Output[k + 1] = a - b;
        Output[k + 2] = a * b;
        Output[k + 3] = a / b;
        Output[k + 4] = a % b;
    }
}

/// <summary>a·b + c and a·b − c·d where a fused multiply-add would round differently: C# rounds the
/// product first, so a device must not contract.</summary>
internal struct NoContractionKernel : IKernel1D
{
    /// <summary>Triples (a, b, c).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        float a = Input[3 * index];
        float b = Input[3 * index + 1];
        float c = Input[3 * index + 2];
        float product = a * b;
        Output[3 * index] = a * b + c;
        Output[3 * index + 1] = product - c;
        Output[3 * index + 2] = a * b - c * a;
    }
}

/// <summary>Every float comparison C# has, as a bit mask; NaN makes the ordered ones false and the
/// negated (unordered) ones true.</summary>
internal struct FloatComparisonKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<float> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        float a = Input[2 * index];
        float b = Input[2 * index + 1];
        int mask = 0;
        if (a < b) mask |= 1;
        if (a <= b) mask |= 2;
        if (a > b) mask |= 4;
        if (a >= b) mask |= 8;
        if (a == b) mask |= 16;
        if (a != b) mask |= 32;
        if (!(a < b)) mask |= 64;
        if (!(a <= b)) mask |= 128;
        if (!(a > b)) mask |= 256;
        if (!(a >= b)) mask |= 512;
#pragma warning disable CS1718 // Comparing a to itself is the NaN test a kernel can write without a library call.
        bool isNaN = a != a;
#pragma warning restore CS1718
        mask |= isNaN ? 1024 : 0;
        mask |= (a < b) == (b > a) ? 2048 : 0;
        Output[index] = mask;
    }
}

/// <summary>The same comparisons on double, materialised as values rather than branches.</summary>
internal struct DoubleComparisonKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<double> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        double a = Input[2 * index];
        double b = Input[2 * index + 1];
        bool less = a < b, notGreaterOrEqual = !(a >= b), equal = a == b, notEqual = a != b;
        Output[index] = (less ? 1 : 0) + (notGreaterOrEqual ? 2 : 0) + (equal ? 4 : 0) + (notEqual ? 8 : 0);
    }
}

/// <summary>The remainder operator on float and double (fmod semantics: exact, sign of the dividend).</summary>
internal struct RemainderKernel : IKernel1D
{
    /// <summary>Pairs (a, b).</summary>
    public ArrayView<float> Input;
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        float a = Input[2 * index];
        float b = Input[2 * index + 1];
        Output[2 * index] = a % b;
        Output[2 * index + 1] = (a * 1.5) % (b * 0.75);
    }
}

/// <summary>Bit casts between floats and integers and the float classification helpers.</summary>
internal struct BitCastKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        float x = Input[index];
        int bits = BitConverter.SingleToInt32Bits(x);
        float flipped = BitConverter.Int32BitsToSingle(bits ^ int.MinValue);
        long wide = BitConverter.DoubleToInt64Bits(x);
        int k = index * 4;
        Output[k] = bits;
        Output[k + 1] = BitConverter.SingleToInt32Bits(flipped);
        Output[k + 2] = (int)(wide >> 32);
        Output[k + 3] = (float.IsNaN(x) ? 1 : 0) | (float.IsInfinity(x) ? 2 : 0) | (float.IsNegative(x) ? 4 : 0)
            | (float.IsFinite(x) ? 8 : 0) | (double.IsNaN(x) ? 16 : 0);
    }
}
