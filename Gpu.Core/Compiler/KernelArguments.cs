using System.Runtime.CompilerServices;

namespace Gpu.Core.Compiler;

/// <summary>Reads a kernel struct's field values in the order of a generated entry point's
/// parameters. The fields' byte offsets are found once, when it is made, so that a launch
/// copies bits from the struct in place: no boxing and no reflection per launch.</summary>
internal sealed class KernelArguments
{
    /// <summary>How one parameter's bits are taken.</summary>
    private enum Encoding : byte
    {
        /// <summary>One byte, zero-extended.</summary>
        Bits8,
        /// <summary>Two bytes, zero-extended.</summary>
        Bits16,
        /// <summary>Four bytes, zero-extended.</summary>
        Bits32,
        /// <summary>Eight bytes.</summary>
        Bits64,
        /// <summary>A one-byte bool passed as a 32-bit 1 or 0, as the generated C declares it.</summary>
        Bool,
        /// <summary>A <see cref="nint"/> (a view's handle) sign-extended to 64 bits.</summary>
        NativeInt,
        /// <summary>A <see cref="nuint"/> zero-extended to 64 bits.</summary>
        NativeUInt,
        /// <summary>An ILGPU view's buffer: its <see cref="ILGPU.Runtime.MemoryBuffer.NativePtr"/>, the engine's handle.</summary>
        ViewSource,
        /// <summary>The next launch extent, 32-bit, not read from the struct.</summary>
        Extent,
    }

    private readonly Type kernelType;
    private readonly Encoding[] encodings;
    private readonly int[] offsets;

    /// <summary>Prepares the reading of <paramref name="parameters"/> from structs of <paramref name="kernelType"/>.</summary>
    /// <param name="kernelType">The kernel struct type whose fields the parameters' paths start from.</param>
    /// <param name="parameters">The entry point's parameters.</param>
    /// <exception cref="NotSupportedException">A parameter's field has a type that cannot be passed by value.</exception>
    public KernelArguments(Type kernelType, IReadOnlyList<KernelParameter> parameters)
    {
        this.kernelType = kernelType;
        encodings = parameters.Select(EncodingOf).ToArray();
        offsets = FieldOffsets.Of(kernelType, parameters.Select(p => p.FieldPath).ToArray());
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="kernel"/>'s fields and the launch extent.</summary>
    /// <param name="kernel">The kernel struct value.</param>
    /// <param name="extent">The launch extent (x, y, z) for <see cref="KernelParameterKind.ExtentLimit"/> parameters.</param>
    /// <param name="destination">One argument per parameter.</param>
    /// <exception cref="ArgumentException"><typeparamref name="TKernel"/> is not the type this reads.</exception>
    public void Read<TKernel>(in TKernel kernel, ReadOnlySpan<int> extent, Span<KernelArgument> destination)
        where TKernel : struct
    {
        // The offsets hold for this type alone: reading another would read past its fields.
        if (typeof(TKernel) != kernelType)
            throw new ArgumentException($"These arguments are read from {kernelType}, not {typeof(TKernel)}.", nameof(kernel));
        ref byte start = ref Unsafe.As<TKernel, byte>(ref Unsafe.AsRef(in kernel));
        int extentDimension = 0;
        for (int p = 0; p < encodings.Length; p++)
        {
            ref byte field = ref Unsafe.Add(ref start, offsets[p]);
            destination[p] = encodings[p] switch
            {
                Encoding.Bits8 => new KernelArgument { Bits = field, Size = 1 },
                Encoding.Bits16 => new KernelArgument { Bits = Unsafe.ReadUnaligned<ushort>(ref field), Size = 2 },
                Encoding.Bits32 => new KernelArgument { Bits = Unsafe.ReadUnaligned<uint>(ref field), Size = 4 },
                Encoding.Bits64 => new KernelArgument { Bits = Unsafe.ReadUnaligned<ulong>(ref field), Size = 8 },
                Encoding.Bool => new KernelArgument { Bits = field != 0 ? 1u : 0u, Size = 4 },
                Encoding.NativeInt => new KernelArgument { Bits = (ulong)(long)Unsafe.ReadUnaligned<nint>(ref field), Size = 8 },
                Encoding.NativeUInt => new KernelArgument { Bits = Unsafe.ReadUnaligned<nuint>(ref field), Size = 8 },
                Encoding.ViewSource => new KernelArgument { Bits = (ulong)(long)(Unsafe.As<byte, ILGPU.Runtime.MemoryBuffer?>(ref field)?.NativePtr ?? 0), Size = 8 },
                _ => new KernelArgument { Bits = (uint)extent[extentDimension++], Size = 4 },
            };
        }
    }

    private static Encoding EncodingOf(KernelParameter parameter)
    {
        if (parameter.Kind == KernelParameterKind.ExtentLimit)
            return Encoding.Extent;
        var type = parameter.FieldPath[^1].FieldType;
        // An enum has its underlying type's code, and so travels as that integer, as the generated C declares it.
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => Encoding.Bool,
            TypeCode.SByte or TypeCode.Byte => Encoding.Bits8,
            TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Char => Encoding.Bits16,
            TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Single => Encoding.Bits32,
            TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Double => Encoding.Bits64,
            _ when type == typeof(Half) => Encoding.Bits16,
            _ when type == typeof(nint) => Encoding.NativeInt,
            _ when type == typeof(nuint) => Encoding.NativeUInt,
            _ when type == typeof(ILGPU.Runtime.MemoryBuffer) => Encoding.ViewSource,
            _ => throw new NotSupportedException($"A kernel parameter of type {type} cannot be passed by value."),
        };
    }
}
