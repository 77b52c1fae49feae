using System.Globalization;
using System.Reflection;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Compiler;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;

namespace Gpu.Tests.Compiler;

/// <summary>The emitted argument packer agrees with a plain reflection reading of the same fields,
/// for every kind of field a kernel can hold and for every kernel struct of the conformance corpus
/// and of Gpu.Ops.</summary>
public sealed class KernelArgumentsTests
{
    /// <summary>Every non-generic kernel struct of the conformance corpus and of Gpu.Ops, with the shape it launches as.</summary>
    public static IEnumerable<TestCaseData> CorpusKernels => new[] { typeof(SaxpyKernel).Assembly, typeof(Gpu.Ops.Gemm.DenseGemm).Assembly }
        .SelectMany(assembly => assembly.GetTypes())
        .Where(t => t.IsValueType && !t.IsGenericTypeDefinition)
        .Select(t => (Type: t, Shape: KernelShapes.Of(t)))
        .Where(k => k.Shape is not null)
        .OrderBy(k => k.Type.FullName, StringComparer.Ordinal)
        .Select(k => new TestCaseData(k.Type, k.Shape!.Value).SetArgDisplayNames(k.Type.FullName!.Replace("Gpu.", "", StringComparison.Ordinal), k.Shape.ToString()!));

    [TestCaseSource(nameof(CorpusKernels))]
    public void CorpusKernelPacksAsReflectionReadsIt(Type kernelType, KernelShape shape)
    {
        var kernel = KernelCompiler.Generate(kernelType, shape, new KernelCompileOptions(Guarded: shape != KernelShape.Grouped, FastMath: false));
        // Two fillings: distinct bits everywhere (a wrong offset or width shows), and the ILGPU view buffers left null (their handle packs as 0).
        foreach (bool buffers in new[] { true, false })
        {
            object value = Fill(kernelType, new Random(kernelType.FullName!.Length), buffers);
            int[] extent = [7, 11, 13];
            var arguments = new KernelArgument[kernel.Parameters.Count];
            typeof(KernelArgumentsTests).GetMethod(nameof(Pack), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(kernelType).Invoke(null, [kernel, value, extent, arguments]);
            Assert.That(arguments.Select(a => (a.Bits, a.Size)), Is.EqualTo(ReadByReflection(value, kernel.Parameters, extent)),
                $"{kernelType.Name} with {(buffers ? "buffers" : "null buffers")}: {string.Join(", ", kernel.Parameters.Select(p => p.Name))}");
        }
    }

    private static void Pack<TKernel>(GeneratedKernel kernel, object value, int[] extent, KernelArgument[] arguments) where TKernel : struct
        => kernel.Arguments.Read((TKernel)value, extent, arguments);

    /// <summary>A boxed <paramref name="type"/> with every field, nested ones included, set to random bits;
    /// ILGPU view buffers get a buffer carrying a random handle, or stay null.</summary>
    private static object Fill(Type type, Random random, bool buffers)
    {
        object value = Activator.CreateInstance(type)!;
        foreach (var field in KernelTypes.InstanceFields(type))
        {
            var fieldType = field.FieldType;
            object? fieldValue = fieldType == typeof(MemoryBuffer) ? (buffers ? new EngineMemoryBuffer((nint)random.NextInt64(), 64) : null)
                : fieldType.IsEnum ? Enum.ToObject(fieldType, random.NextInt64())
                : fieldType == typeof(bool) ? random.Next(2) == 1
                : fieldType == typeof(Half) ? BitConverter.UInt16BitsToHalf((ushort)random.Next())
                : fieldType == typeof(float) ? BitConverter.Int32BitsToSingle(random.Next())
                : fieldType == typeof(double) ? BitConverter.Int64BitsToDouble(random.NextInt64())
                : fieldType == typeof(char) ? (char)random.Next(char.MaxValue)
                : fieldType == typeof(nint) ? (nint)random.NextInt64(long.MinValue, long.MaxValue)
                : fieldType == typeof(nuint) ? (nuint)(ulong)random.NextInt64(long.MinValue, long.MaxValue)
                : fieldType.IsPrimitive ? Truncate(random.NextInt64(long.MinValue, long.MaxValue), fieldType)
                : fieldType.IsValueType && !fieldType.IsPointer ? Fill(fieldType, random, buffers)
                : null;
            field.SetValue(value, fieldValue);
        }
        return value;
    }

    private static object Truncate(long bits, Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.SByte => (sbyte)bits,
        TypeCode.Byte => (byte)bits,
        TypeCode.Int16 => (short)bits,
        TypeCode.UInt16 => (ushort)bits,
        TypeCode.Int32 => (int)bits,
        TypeCode.UInt32 => (uint)bits,
        TypeCode.Int64 => bits,
        TypeCode.UInt64 => (ulong)bits,
        _ => throw new NotSupportedException(type.ToString()),
    };

    [Test]
    public void EveryFieldKindReadsAsReflectionReadsIt()
    {
        // Negative and high-bit values catch a wrong width or extension; distinct ones a wrong offset.
        var value = new EveryArgumentKindKernel
        {
            I8 = -3, U8 = 0xA5, I16 = -300, U16 = 0xBEEF, Char = '\u20AC', I32 = -70_000, U32 = 0xDEADBEEF,
            I64 = -(1L << 40) - 9, U64 = 0xFEDC_BA98_7654_3210, NInt = -12_345, NUInt = unchecked((nuint)ulong.MaxValue - 6),
            F32 = -1.5f, F64 = Math.PI, Flag = true, Colour = SignedColour.Red, Flags = WideFlags.High,
            Output = EngineView<float>(unchecked((nint)0x7F00_1234_5000), 17, 40),
            Nested = new DeeplyNested
            {
                Bytes = new Pair<sbyte> { First = -128, Second = 127 },
                Reordered = new ReorderedFields { Small = 0x81, Large = -2.25, Flag = true, Values = EngineView<short>(unchecked((nint)0x6000_0000_0010), 3, 9) },
                Grid = new ArrayView2D<int, Stride2D.DenseX>(EngineView<int>(unchecked((nint)0x5000_0000_0020), 11, 24), new LongIndex2D(5, 4), new Stride2D.DenseX(6)),
                Hidden = long.MinValue + 1,
            },
        };
        var kernel = KernelCompiler.Generate(typeof(EveryArgumentKindKernel), KernelShape.ThreeD, new KernelCompileOptions(Guarded: true, FastMath: false));
        int[] extent = [5, 6, 7];

        var arguments = new KernelArgument[kernel.Parameters.Count];
        kernel.Arguments.Read(value, extent, arguments);

        Assert.That(arguments.Select(a => (a.Bits, a.Size)), Is.EqualTo(ReadByReflection(value, kernel.Parameters, extent)));
    }

    /// <summary>A view at an arbitrary handle, as the OpenCL 1.2 engine's buffers carry their <c>cl_mem</c>.</summary>
    private static unsafe ArrayView<T> EngineView<T>(nint handle, long index, long length) where T : unmanaged
        => new(new EngineMemoryBuffer(handle, (index + length) * sizeof(T)), index, length);

    [Test]
    public void HalfFieldsReadAsReflectionReadsThem()
    {
        var value = new HalfField { Pad = 0xFF, Value = (Half)(-0.333f) };
        IReadOnlyList<KernelParameter> parameters =
        [
            new("pad", KernelParameterKind.Scalar, typeof(byte), [typeof(HalfField).GetField(nameof(HalfField.Pad))!]),
            new("value", KernelParameterKind.Scalar, typeof(Half), [typeof(HalfField).GetField(nameof(HalfField.Value))!]),
        ];
        var arguments = new KernelArgument[parameters.Count];
        new KernelArguments(typeof(HalfField), parameters).Read(value, [], arguments);
        Assert.That(arguments.Select(a => (a.Bits, a.Size)), Is.EqualTo(ReadByReflection(value, parameters, [])));
    }

    [Test]
    public void ReadingAnotherStructTypeIsRefused()
    {
        var kernel = KernelCompiler.Generate(typeof(NestedParametersKernel), KernelShape.OneD, new KernelCompileOptions(Guarded: false, FastMath: false));
        var arguments = new KernelArgument[kernel.Parameters.Count];
        Assert.That(() => kernel.Arguments.Read(new HalfField(), [], arguments), Throws.ArgumentException);
    }

    /// <summary>The reference: boxes the struct, follows each field path with
    /// <see cref="System.Reflection.FieldInfo.GetValue"/> and encodes the value by its type.</summary>
    private static (ulong Bits, int Size)[] ReadByReflection(object kernel, IReadOnlyList<KernelParameter> parameters, int[] extent)
    {
        var extents = new Queue<int>(extent);
        return parameters.Select(parameter => parameter.Kind == KernelParameterKind.ExtentLimit
            ? ((ulong)(uint)extents.Dequeue(), 4)
            : Encode(parameter.FieldPath.Aggregate<FieldInfo, object?>(kernel, (value, field) => field.GetValue(value)))).ToArray();
    }

    private static (ulong Bits, int Size) Encode(object? value) => value switch
    {
        null => (0, 8), // only a view's buffer field can be null
        MemoryBuffer buffer => ((ulong)(long)buffer.NativePtr, 8),
        Enum e => Encode(Convert.ChangeType(e, e.GetTypeCode(), CultureInfo.InvariantCulture)),
        bool b => (b ? 1UL : 0UL, 4),
        sbyte v => ((byte)v, 1),
        byte v => (v, 1),
        short v => ((ushort)v, 2),
        ushort v => (v, 2),
        char v => (v, 2),
        int v => ((uint)v, 4),
        uint v => (v, 4),
        long v => ((ulong)v, 8),
        ulong v => (v, 8),
        nint v => ((ulong)(long)v, 8),
        nuint v => ((ulong)v, 8),
        float v => (BitConverter.SingleToUInt32Bits(v), 4),
        double v => (BitConverter.DoubleToUInt64Bits(v), 8),
        Half v => (BitConverter.HalfToUInt16Bits(v), 2),
        _ => throw new NotSupportedException(value.GetType().ToString()),
    };
}
