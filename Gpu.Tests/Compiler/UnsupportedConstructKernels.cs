using System.Runtime.InteropServices;
using Gpu.Core;
using ILGPU;

namespace Gpu.Tests.Compiler;

// One kernel per construct the kernel compiler must refuse. Each offending statement sits on its
// own line, which the tests find through the PDB and read back from this file.

public sealed class Box
{
    public int Value;
}

public abstract class Shape
{
    public abstract float Area();
}

public sealed class Circle : Shape
{
    public override float Area() => 3.14f;
}

public sealed class Tally
{
    public int Count;

    public int Peek() => Count;
}

public static class KernelHelpers
{
    public static readonly Shape Unit = new Circle();
    public static readonly Tally Shared = new();
    public static int Mutable;

    public static int Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    public static ref int Same(ref int value) => ref value;

    [DllImport("libm", EntryPoint = "cos")]
    public static extern double NativeCos(double value);
}

public struct AllocatesObjectKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        var box = new Box { Value = index };
        Output[index] = box.Value;
    }
}

public struct ClassFieldKernel : IKernel1D
{
    public ArrayView<int> Output;
    public Box Holder;

    public void Execute(int index) => Output[index] = index;
}

public struct VirtualCallKernel : IKernel1D
{
    public ArrayView<float> Output;

    public void Execute(int index)
    {
        Output[index] = KernelHelpers.Unit.Area();
    }
}

public struct ClassInstanceCallKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = KernelHelpers.Shared.Peek();
    }
}

public struct ThrowKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        if (index > Output.Length)
            throw new InvalidOperationException();
        Output[index] = index;
    }
}

public struct TryCatchKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        try { Output[index] = 100 / index; } catch (DivideByZeroException) { Output[index] = -1; }
    }
}

public struct RecursionKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = KernelHelpers.Factorial(index);
    }
}

public struct RefReturnKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        int value = index;
        KernelHelpers.Same(ref value) = 5;
        Output[index] = value;
    }
}

public struct UnknownFrameworkCallKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = Environment.ProcessorCount;
    }
}

public struct ExternalCallKernel : IKernel1D
{
    public ArrayView<double> Output;

    public void Execute(int index)
    {
        Output[index] = KernelHelpers.NativeCos(index);
    }
}

public struct NonConstantSharedMemoryKernel : IGroupKernel
{
    public ArrayView<float> Output;
    public int Length;

    public void Execute()
    {
        var scratch = SharedMemory.Allocate<float>(Length);
        Output[Group.IdxX] = scratch[0];
    }
}

public struct StringKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        string text = "kernel";
        Output[index] = text.Length;
    }
}

public struct ArrayKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        var values = new int[4];
        Output[index] = values[index & 3];
    }
}

public struct StaticFieldKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = KernelHelpers.Mutable;
    }
}

public struct CheckedArithmeticKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = checked(index * 1_000_000);
    }
}

public struct BoxingKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        object boxed = index;
        Output[index] = boxed.GetHashCode();
    }
}

public struct GroupIntrinsicOutsideGroupKernel : IKernel1D
{
    public ArrayView<int> Output;

    public void Execute(int index)
    {
        Output[index] = Group.IdxX;
    }
}
