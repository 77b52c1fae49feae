using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Conformance.Corpus;

// User-defined value types as locals, as kernel fields (nested, holding views), as view elements;
// static and generic device functions calling each other; a kernel that writes its own fields.

/// <summary>A complex number with the operations the Mandelbrot iteration needs.</summary>
internal struct Complex
{
    public float Re;
    public float Im;

    public static Complex Square(Complex z) => new() { Re = z.Re * z.Re - z.Im * z.Im, Im = 2f * z.Re * z.Im };

    public static Complex Add(Complex a, Complex b) => new() { Re = a.Re + b.Re, Im = a.Im + b.Im };

    public static float MagnitudeSquared(Complex z) => z.Re * z.Re + z.Im * z.Im;
}

/// <summary>Mandelbrot escape counts: struct locals updated in a loop through static struct functions.</summary>
internal struct MandelbrotKernel : IKernel2D
{
    public ArrayView2D<int, Stride2D.DenseX> Output;
    public int MaxIterations;

    public void Execute(int x, int y)
    {
        var c = new Complex { Re = -2f + x * 0.125f, Im = -1.25f + y * 0.125f };
        var z = new Complex();
        int iteration = 0;
        while (iteration < MaxIterations && Complex.MagnitudeSquared(z) <= 4f)
        {
            z = Complex.Add(Complex.Square(z), c);
            iteration++;
        }
        Output[x, y] = iteration;
    }
}

/// <summary>y = A·x + B.</summary>
internal struct Affine
{
    public float Scale;
    public float Offset;
}

/// <summary>Two affine maps and a mode, nested inside the kernel's parameters.</summary>
internal struct Transform
{
    public Affine First;
    public Affine Second;
    public int Mode;
    /// <summary>Nonzero: clamp at 10. A byte, not a bool (ILGPU's launcher takes only blittable kernel
    /// parameters); still a one-byte field after an int, so the struct keeps its trailing padding.</summary>
    public byte Clamp;
}

/// <summary>Applies a transform held in a nested struct field.</summary>
internal struct NestedStructFieldKernel : IKernel1D
{
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    public Transform Transform;

    public void Execute(int index)
    {
        float x = Input[index];
        Affine step = Transform.Mode == 0 ? Transform.First : Transform.Second;
        float y = step.Scale * x + step.Offset;
        if (Transform.Mode == 2)
            y = Transform.First.Scale * y + Transform.First.Offset;
        if (Transform.Clamp != 0 && y > 10f)
            y = 10f;
        Output[index] = y;
    }
}

/// <summary>A pair of views and a count, passed as one field.</summary>
internal struct Channel
{
    public ArrayView<int> Source;
    public ArrayView<int> Target;
    public int Shift;
}

/// <summary>Kernel parameters that are structs holding views.</summary>
internal struct StructOfViewsKernel : IKernel1D
{
    public Channel Left;
    public Channel Right;

    public void Execute(int index)
    {
        Left.Target[index] = Left.Source[index] << Left.Shift;
        Right.Target[index] = Right.Source[Right.Source.Length - 1 - index] + Left.Source[index] + Right.Shift;
    }
}

/// <summary>An array-of-structs element.</summary>
internal struct Particle
{
    public float X;
    public float Velocity;
    public int Bounces;
    public short Tag;
}

/// <summary>Reads and writes whole struct elements of a view.</summary>
internal struct StructElementKernel : IKernel1D
{
    public ArrayView<Particle> Particles;
    public float Step;

    public void Execute(int index)
    {
        Particle p = Particles[index];
        p.X += p.Velocity * Step;
        if (p.X > 1f || p.X < 0f)
        {
            p.Velocity = -p.Velocity;
            p.Bounces++;
        }
        p.Tag = (short)(p.Tag + index);
        Particles[index] = p;
    }
}

/// <summary>A kernel that uses its own fields as scratch: every GPU thread gets a fresh copy of the
/// struct, so each index must start from the launched values.</summary>
internal struct SelfMutatingKernel : IKernel1D
{
    public ArrayView<int> Input;
    public ArrayView<int> Output;
    public int Accumulator;
    public int Calls;

    public void Execute(int index)
    {
        Accumulator += Input[index];
        Calls++;
        Output[index] = Accumulator * 10 + Calls;
    }
}

/// <summary>Device functions: hashing through a chain of static calls (A → B → C), and a static
/// function with several returns.</summary>
internal struct DeviceFunctionKernel : IKernel1D
{
    public ArrayView<uint> Input;
    public ArrayView<uint> Output;

    public void Execute(int index)
    {
        uint x = Input[index];
        Output[2 * index] = Hash(x, (uint)index);
        Output[2 * index + 1] = Classify(x);
    }

    private static uint Hash(uint value, uint seed) => Finish(Mix(value ^ seed) + Mix(seed));

    private static uint Mix(uint value) => Rotate(value * 0xCC9E_2D51u, 15) * 0x1B87_3593u;

    private static uint Rotate(uint value, int count) => (value << count) | (value >> (32 - count));

    private static uint Finish(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EB_CA6Bu;
        h ^= h >> 13;
        return h;
    }

    private static uint Classify(uint value)
    {
        if (value == 0)
            return 0;
        if ((value & 1) == 0)
            return 2;
        if (value > 1_000_000)
            return 3;
        return 1;
    }
}

/// <summary>Generic static helpers instantiated at several types, calling each other.</summary>
internal struct GenericHelperKernel : IKernel1D
{
    public ArrayView<int> Ints;
    public ArrayView<double> Doubles;
    public ArrayView<long> Longs;
    // Read apart from Longs, since one thread's mirror element is another's output.
    public ArrayView<long> LongSources;

    public void Execute(int index)
    {
        int i = Ints[index];
        Ints[index] = Pick(i > 0, i, -i);
        Doubles[index] = Pick(Doubles[index] < 0.5, Doubles[index], 0.5);
        Longs[index] = Pick(index % 2 == 0, Mirror(LongSources, index), LongSources[index]);
    }

    private static T Pick<T>(bool first, T a, T b) => first ? a : b;

    private static T Mirror<T>(ArrayView<T> values, int index) where T : unmanaged => Read(values, values.Length - 1 - index);

    private static T Read<T>(ArrayView<T> values, long index) where T : unmanaged => values[index];
}

/// <summary>A sorting network over four values per thread through a generic swap by reference.</summary>
internal struct RefSwapKernel : IKernel1D
{
    public ArrayView<int> Values;

    public void Execute(int index)
    {
        int a = Values[4 * index], b = Values[4 * index + 1], c = Values[4 * index + 2], d = Values[4 * index + 3];
        Order(ref a, ref b);
        Order(ref c, ref d);
        Order(ref a, ref c);
        Order(ref b, ref d);
        Order(ref b, ref c);
        Values[4 * index] = a;
        Values[4 * index + 1] = b;
        Values[4 * index + 2] = c;
        Values[4 * index + 3] = d;
    }

    private static void Order(ref int low, ref int high)
    {
        if (low > high)
            Swap(ref low, ref high);
    }

    private static void Swap<T>(ref T a, ref T b)
    {
        T temporary = a;
        a = b;
        b = temporary;
    }
}

/// <summary>A struct holding a 2D view and its own scale, nested one level deeper in another struct.</summary>
internal struct ScaledMatrix
{
    public ArrayView2D<float, Stride2D.DenseX> Matrix;
    public float Scale;
}

/// <summary>The outer struct: a scaled matrix and an offset.</summary>
internal struct MatrixJob
{
    public ScaledMatrix Source;
    public float Offset;
}

/// <summary>A 2D kernel whose views live inside nested struct fields.</summary>
internal struct NestedViewFieldKernel : IKernel2D
{
    public MatrixJob Job;
    public ArrayView2D<float, Stride2D.DenseX> Output;

    public void Execute(int x, int y) => Output[x, y] = Job.Source.Matrix[x, y] * Job.Source.Scale + Job.Offset;
}

/// <summary>A 2D vector with instance members: a computed property, an instance method, an operator.</summary>
internal readonly struct Vector2
{
    public readonly float X;
    public readonly float Y;

    public Vector2(float x, float y)
    {
        X = x;
        Y = y;
    }

    public float LengthSquared => X * X + Y * Y;

    public float Dot(Vector2 other) => X * other.X + Y * other.Y;

    public Vector2 Scaled(float factor) => new(X * factor, Y * factor);

    public static Vector2 operator +(Vector2 a, Vector2 b) => new(a.X + b.X, a.Y + b.Y);
}

/// <summary>Instance members: of a user struct (property, method, operator) and of the kernel itself
/// (a private helper reading the kernel's fields).</summary>
internal struct InstanceMemberKernel : IKernel1D
{
    /// <summary>Pairs (x, y).</summary>
    public ArrayView<float> Input;
    public ArrayView<float> Output;
    public float Weight;
    public Vector2 Direction;

    public void Execute(int index)
    {
        var v = new Vector2(Input[2 * index], Input[2 * index + 1]);
        var moved = v + Direction.Scaled(Weight);
        Output[3 * index] = moved.LengthSquared;
        Output[3 * index + 1] = v.Dot(Direction);
        Output[3 * index + 2] = Weigh(moved.X);
    }

    private readonly float Weigh(float value) => value * Weight + Direction.Y;
}
