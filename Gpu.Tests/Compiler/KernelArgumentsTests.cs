using System.Globalization;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Compiler;

/// <summary>Launch arguments read from the struct in place agree with a plain reflection reading
/// of the same fields, for every kind of field a kernel can hold.</summary>
public sealed class KernelArgumentsTests
{
    [Test]
    public void EveryFieldKindReadsAsReflectionReadsIt()
    {
        // Negative and high-bit values catch a wrong width or extension; distinct ones a wrong offset.
        var value = new EveryArgumentKindKernel
        {
            I8 = -3, U8 = 0xA5, I16 = -300, U16 = 0xBEEF, Char = '\u20AC', I32 = -70_000, U32 = 0xDEADBEEF,
            I64 = -(1L << 40) - 9, U64 = 0xFEDC_BA98_7654_3210, NInt = -12_345, NUInt = unchecked((nuint)ulong.MaxValue - 6),
            F32 = -1.5f, F64 = Math.PI, Flag = true, Colour = SignedColour.Red, Flags = WideFlags.High,
            Output = new View<float>(unchecked((nint)0x7F00_1234_5000), 17, 40),
            Nested = new DeeplyNested
            {
                Bytes = new Pair<sbyte> { First = -128, Second = 127 },
                Reordered = new ReorderedFields { Small = 0x81, Large = -2.25, Flag = true, Values = new View<short>(unchecked((nint)0x6000_0000_0010), 3, 9) },
                Grid = new View2D<int>(new View<int>(unchecked((nint)0x5000_0000_0020), 11, 24), 4, 5, 6),
                Hidden = long.MinValue + 1,
            },
        };
        var kernel = KernelCompiler.Generate(typeof(EveryArgumentKindKernel), KernelShape.ThreeD, KernelDialect.OpenCL, new KernelCompileOptions(Guarded: true, FastMath: false));
        int[] extent = [5, 6, 7];

        var arguments = new KernelArgument[kernel.Parameters.Count];
        kernel.Arguments.Read(value, extent, arguments);

        Assert.That(arguments.Select(a => (a.Bits, a.Size)), Is.EqualTo(ReadByReflection(value, kernel.Parameters, extent)));
    }

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
        var kernel = KernelCompiler.Generate(typeof(NestedParametersKernel), KernelShape.OneD, KernelDialect.OpenCL, new KernelCompileOptions(Guarded: false, FastMath: false));
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
            : Encode(parameter.FieldPath.Aggregate(kernel, (value, field) => field.GetValue(value)!))).ToArray();
    }

    private static (ulong Bits, int Size) Encode(object value) => value switch
    {
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
