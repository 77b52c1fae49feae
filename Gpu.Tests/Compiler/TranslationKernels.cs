using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Tests.Compiler;

// Kernels whose generated C the translation tests inspect.

public struct ScaleAndBias
{
    public float Scale;
    public float Bias;
}

public struct NestedParametersKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ScaleAndBias Affine;
    public bool Enabled;
    public ArrayView2D<int, Stride2D.DenseX> Table;
    public long Count;

    public void Execute(int index)
    {
        if (Enabled)
            Input[index] = Input[index] * Affine.Scale + Affine.Bias + Table[0, 0] + Count;
    }
}

public struct ExactLiteralsKernel : IKernel1D
{
    public ArrayView<float> Floats;
    public ArrayView<int> Ints;
    public ArrayView<long> Longs;

    public void Execute(int index)
    {
        Floats[0] = float.NaN;
        Floats[1] = float.PositiveInfinity;
        Floats[2] = float.NegativeInfinity;
        Floats[3] = -0f;
        Floats[4] = 0.1f;
        Floats[5] = float.Epsilon;
        Ints[0] = int.MinValue;
        Ints[1] = int.MaxValue;
        Longs[0] = long.MinValue;
    }
}

public struct DoubleKernel : IKernel1D
{
    public ArrayView<double> Values;

    public void Execute(int index) => Values[index] = Math.Sqrt(Values[index]) + 0.1;
}

public struct MultiplyAddKernel : IKernel1D
{
    public ArrayView<float> A;
    public ArrayView<float> B;
    public ArrayView<float> C;

    public void Execute(int index) => C[index] = A[index] * B[index] + C[index];
}

[FastMath]
public struct FastMultiplyAddKernel : IKernel1D
{
    public ArrayView<float> A;
    public ArrayView<float> B;
    public ArrayView<float> C;

    public void Execute(int index) => C[index] = A[index] * B[index] + C[index];
}

public struct SharedAtomicsKernel : IGroupKernel
{
    public ArrayView<float> Sums;

    public void Execute()
    {
        var local = SharedMemory.Allocate<float>(64);
        var counts = SharedMemory.Allocate<int>(16);
        local[Group.IdxX] = Group.IdxX;
        counts[Group.IdxX % 16] = 0;
        Group.Barrier();
        Atomic.Add(ref counts[Group.IdxX % 16], 1);
        Atomic.Add(ref Sums[Grid.IdxX], local[Group.IdxX]);
    }
}

/// <summary>A warp sum, which the OpenCL 1.2 engine refuses: it has no shuffles.</summary>
public struct WarpSumKernel : IGroupKernel
{
    public ArrayView<float> Values;

    public void Execute()
    {
        int index = Grid.IdxX * Group.DimX + Group.IdxX;
        float value = Values[index];
        for (int delta = Warp.WarpSize / 2; delta > 0; delta /= 2)
            value += Warp.ShuffleDown(value, delta);
        if (Warp.LaneIdx == 0)
            Values[index] = value;
    }
}

public struct Dot4AccumulateKernel : IKernel1D
{
    public ArrayView<int> Left, Right, Sums;

    public void Execute(int index) => Sums[index] = PackedInt8.Dot4(Left[index], Right[index], Sums[index]);
}

public static class DeviceHelpers
{
    public static float Square(float value) => value * value;

    public static float SumOfSquares(float a, float b) => Square(a) + Square(b);

    public static int SharedScratch(int value)
    {
        var scratch = SharedMemory.Allocate<int>(32);
        scratch[Group.IdxX] = value;
        Group.Barrier();
        return scratch[0];
    }

    public static void Scale(ArrayView<float> values, int index, float factor) => values[index] *= factor;
}

public struct DeviceFunctionKernel : IKernel1D
{
    public ArrayView<float> Values;

    public void Execute(int index)
    {
        Values[index] = DeviceHelpers.SumOfSquares(Values[index], 2f) + DeviceHelpers.Square(index);
        DeviceHelpers.Scale(Values, index, 0.5f);
    }
}

public struct SharedHelperKernel : IGroupKernel
{
    public ArrayView<int> Values;

    public void Execute() => Values[Group.IdxX] = DeviceHelpers.SharedScratch(Values[Group.IdxX]);
}

public struct ThreeShorts
{
    public short A;
    public short B;
    public short C;
}

public struct SizeOfKernel : IKernel1D
{
    public ArrayView<int> Sizes;

    public unsafe void Execute(int index) => Sizes[index] = sizeof(ThreeShorts);
}

public enum SignedColour : short
{
    Red = -2,
    Green = 7,
}

public enum WideFlags : ulong
{
    High = 1UL << 63 | 5,
}

public struct Pair<T> where T : unmanaged
{
    public T First;
    public T Second;
}

/// <summary>Auto layout lets the runtime reorder the fields, so no offset may be assumed from declaration order.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)]
public struct ReorderedFields
{
    public byte Small;
    public double Large;
    public bool Flag;
    public ArrayView<short> Values;
}

public struct DeeplyNested
{
    public Pair<sbyte> Bytes;
    public ReorderedFields Reordered;
    public ArrayView2D<int, Stride2D.DenseX> Grid;
    public long Hidden { get; init; }
}

/// <summary>A field of every type a kernel can take by value, with views and structs nested three deep.</summary>
public struct EveryArgumentKindKernel : IKernel3D
{
    public sbyte I8;
    public byte U8;
    public short I16;
    public ushort U16;
    public char Char;
    public int I32;
    public uint U32;
    public long I64;
    public ulong U64;
    public nint NInt;
    public nuint NUInt;
    public float F32;
    public double F64;
    public bool Flag;
    public SignedColour Colour;
    public WideFlags Flags;
    public ArrayView<float> Output;
    public DeeplyNested Nested;

    public void Execute(int x, int y, int z) => Output[x] = F32;
}

/// <summary>The translator takes no <see cref="System.Half"/> field, but a parameter list may name one.</summary>
public struct HalfField
{
    public byte Pad;
    public System.Half Value;
}

/// <summary>Dynamic shared memory, which the OpenCL 1.2 engine cannot size.</summary>
public struct DynamicSharedKernel : IGroupKernel
{
    public ArrayView<int> Values;

    public void Execute()
    {
        var shared = SharedMemory.GetDynamic<int>();
        shared[Group.IdxX] = 1;
        Group.Barrier();
        Values[Group.IdxX] = shared[0];
    }
}
