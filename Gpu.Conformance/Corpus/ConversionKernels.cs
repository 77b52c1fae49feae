using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

// Conversions as .NET defines them: float → integer saturates and NaN gives 0; integer → float
// rounds to nearest even; narrowing integer conversions wrap; unsigned sources convert as unsigned.

/// <summary>float → int, uint, long, ulong, short, byte.</summary>
internal struct FloatToIntegerKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        float x = Input[index];
        int k = index * 6;
        Output[k] = (int)x;
        Output[k + 1] = (uint)x;
        Output[k + 2] = (long)x;
        Output[k + 3] = (long)(ulong)x;
        Output[k + 4] = (short)x;
        Output[k + 5] = (byte)x;
    }
}

/// <summary>double → int, uint, long, ulong.</summary>
internal struct DoubleToIntegerKernel : IKernel1D
{
    public ArrayView<double> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        double x = Input[index];
        int k = index * 4;
        Output[k] = (int)x;
        Output[k + 1] = (uint)x;
        Output[k + 2] = (long)x;
        Output[k + 3] = (long)(ulong)x;
    }
}

/// <summary>int, uint, long, ulong → float and double (rounding to nearest even where inexact).</summary>
internal struct IntegerToFloatKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<float> Singles;
    public ArrayView<double> Doubles;

    public void Execute(int index)
    {
        long x = Input[index];
        int k = index * 4;
        Singles[k] = (int)x;
        Singles[k + 1] = (uint)x;
        Singles[k + 2] = x;
        Singles[k + 3] = (ulong)x;
        Doubles[k] = (int)x;
        Doubles[k + 1] = (uint)x;
        Doubles[k + 2] = x;
        Doubles[k + 3] = (ulong)x;
    }
}

/// <summary>Narrowing integer conversions wrap; widening sign- or zero-extends by the source's signedness.</summary>
internal struct IntegerNarrowingKernel : IKernel1D
{
    public ArrayView<long> Input;
    public ArrayView<long> Output;

    public void Execute(int index)
    {
        long x = Input[index];
        int k = index * 7;
        Output[k] = (sbyte)x;
        Output[k + 1] = (byte)x;
        Output[k + 2] = (short)x;
        Output[k + 3] = (ushort)x;
        Output[k + 4] = (int)x;
        Output[k + 5] = (uint)x;
        sbyte narrow = (sbyte)x;
        Output[k + 6] = (uint)(int)narrow;
    }
}

/// <summary>double → float rounds (to infinity past float.MaxValue, to subnormals and zero at the
/// bottom); float → double is exact.</summary>
internal struct FloatDoubleKernel : IKernel1D
{
    public ArrayView<double> Input;
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        double x = Input[index];
        float narrowed = (float)x;
        Output[2 * index] = narrowed;
        Output[2 * index + 1] = (double)(float)(x * 3.0) - x;
    }
}
