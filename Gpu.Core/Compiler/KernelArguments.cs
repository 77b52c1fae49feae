using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gpu.Core.Compiler;

/// <summary>Packs a kernel struct's field values into the arguments of a generated entry point, in
/// the order of its parameters. The packing is a method emitted once per generated kernel that loads
/// each field through its path and stores its bits: a launch runs straight-line code, with no
/// reflection, boxing or per-parameter dispatch.</summary>
internal sealed class KernelArguments
{
    /// <summary>The emitted packer: reads <paramref name="kernel"/>'s fields and the extent's
    /// dimensions starting at <paramref name="extent"/> into consecutive arguments from <paramref name="destination"/>.</summary>
    private delegate void Packer<TKernel>(ref TKernel kernel, ref int extent, ref KernelArgument destination);

    private static readonly FieldInfo BitsField = typeof(KernelArgument).GetField(nameof(KernelArgument.Bits))!;
    private static readonly FieldInfo SizeField = typeof(KernelArgument).GetField(nameof(KernelArgument.Size))!;
    private static readonly MethodInfo NativePtrGetter = typeof(ILGPU.Runtime.MemoryBuffer).GetProperty(nameof(ILGPU.Runtime.MemoryBuffer.NativePtr))!.GetMethod!;

    private readonly Type kernelType;
    private readonly Delegate packer;
    private readonly int count, extentCount;

    /// <summary>Emits the packing of <paramref name="parameters"/> from structs of <paramref name="kernelType"/>.</summary>
    /// <param name="kernelType">The kernel struct type whose fields the parameters' paths start from.</param>
    /// <param name="parameters">The entry point's parameters.</param>
    /// <exception cref="NotSupportedException">A parameter's field has a type that cannot be passed by value.</exception>
    public KernelArguments(Type kernelType, IReadOnlyList<KernelParameter> parameters)
    {
        this.kernelType = kernelType;
        count = parameters.Count;
        extentCount = parameters.Count(p => p.Kind == KernelParameterKind.ExtentLimit);
        packer = Emit(kernelType, parameters);
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="kernel"/>'s fields and the launch extent.</summary>
    /// <param name="kernel">The kernel struct value.</param>
    /// <param name="extent">The launch extent (x, y, z) for <see cref="KernelParameterKind.ExtentLimit"/> parameters.</param>
    /// <param name="destination">One argument per parameter.</param>
    /// <exception cref="ArgumentException"><typeparamref name="TKernel"/> is not the type this packs, or a span is too short.</exception>
    public void Read<TKernel>(in TKernel kernel, ReadOnlySpan<int> extent, Span<KernelArgument> destination)
        where TKernel : struct
    {
        // The emitted code writes and reads without bounds checks, so the spans are checked here, once.
        if (packer is not Packer<TKernel> pack)
            throw new ArgumentException($"These arguments are read from {kernelType}, not {typeof(TKernel)}.", nameof(kernel));
        if (destination.Length < count)
            throw new ArgumentException($"{count} arguments do not fit in {destination.Length}.", nameof(destination));
        if (extent.Length < extentCount)
            throw new ArgumentException($"The entry point takes {extentCount} extent limits; {extent.Length} were given.", nameof(extent));
        pack(ref Unsafe.AsRef(in kernel), ref MemoryMarshal.GetReference(extent), ref MemoryMarshal.GetReference(destination));
    }

    private static Delegate Emit(Type kernelType, IReadOnlyList<KernelParameter> parameters)
    {
        var kernelByRef = kernelType.MakeByRefType();
        var method = new DynamicMethod($"{kernelType.Name}_PackArguments", typeof(void),
            [kernelByRef, typeof(int).MakeByRefType(), typeof(KernelArgument).MakeByRefType()], kernelType.Module, skipVisibility: true);
        var il = method.GetILGenerator();
        int stride = Unsafe.SizeOf<KernelArgument>(), extentDimension = 0;
        for (int p = 0; p < parameters.Count; p++)
        {
            var parameter = parameters[p];
            var (load, size) = parameter.Kind == KernelParameterKind.ExtentLimit
                ? (Load.Extent, sizeof(int))
                : LoadOf(parameter.FieldPath[^1].FieldType);
            // destination[p].Size = size; destination[p].Bits = value;
            il.Emit(OpCodes.Ldarg_2);
            if (p > 0)
            {
                il.Emit(OpCodes.Ldc_I4, p * stride);
                il.Emit(OpCodes.Add);
            }
            il.Emit(OpCodes.Dup);
            il.Emit(OpCodes.Ldc_I4, size);
            il.Emit(OpCodes.Stfld, SizeField);
            if (load == Load.Extent)
                EmitExtent(il, extentDimension++);
            else
                EmitField(il, parameter.FieldPath, load);
            il.Emit(OpCodes.Stfld, BitsField);
        }
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate(typeof(Packer<>).MakeGenericType(kernelType));
    }

    /// <summary>How one parameter's bits are loaded; each leaves a 64-bit value on the stack.</summary>
    private enum Load : byte
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
        /// <summary>An ILGPU view's buffer: its <see cref="ILGPU.Runtime.MemoryBuffer.NativePtr"/>, the engine's handle (0 for none).</summary>
        ViewSource,
        /// <summary>The next launch extent, 32-bit, not read from the struct.</summary>
        Extent,
    }

    private static (Load Load, int Size) LoadOf(Type type)
        // An enum has its underlying type's code, and so travels as that integer, as the generated C declares it.
        => Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => (Load.Bool, 4),
            TypeCode.SByte or TypeCode.Byte => (Load.Bits8, 1),
            TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Char => (Load.Bits16, 2),
            TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Single => (Load.Bits32, 4),
            TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Double => (Load.Bits64, 8),
            _ when type == typeof(Half) => (Load.Bits16, 2),
            _ when type == typeof(nint) => (Load.NativeInt, 8),
            _ when type == typeof(nuint) => (Load.NativeUInt, 8),
            _ when type == typeof(ILGPU.Runtime.MemoryBuffer) => (Load.ViewSource, 8),
            _ => throw new NotSupportedException($"A kernel parameter of type {type} cannot be passed by value."),
        };

    /// <summary>Loads <c>(ulong)(uint)extent[dimension]</c>.</summary>
    private static void EmitExtent(ILGenerator il, int dimension)
    {
        il.Emit(OpCodes.Ldarg_1);
        if (dimension > 0)
        {
            il.Emit(OpCodes.Ldc_I4, dimension * sizeof(int));
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Ldind_I4);
        il.Emit(OpCodes.Conv_U8);
    }

    /// <summary>Loads the field at the end of <paramref name="path"/> as raw bits: its address is
    /// taken through the path and read with an integer load of its width, so floats travel as their bits.</summary>
    private static void EmitField(ILGenerator il, IReadOnlyList<FieldInfo> path, Load load)
    {
        il.Emit(OpCodes.Ldarg_0);
        foreach (var field in path)
            il.Emit(OpCodes.Ldflda, field);
        if (load == Load.ViewSource)
        {
            EmitNativePointer(il);
            return;
        }
        // A kernel struct with explicit packing may place a field off its natural alignment.
        il.Emit(OpCodes.Unaligned, (byte)1);
        foreach (var instruction in Instructions[load])
            il.Emit(instruction);
    }

    /// <summary>The loads and widenings that turn a field's address into its 64-bit bits.</summary>
    private static readonly Dictionary<Load, OpCode[]> Instructions = new()
    {
        [Load.Bits8] = [OpCodes.Ldind_U1, OpCodes.Conv_U8],
        [Load.Bits16] = [OpCodes.Ldind_U2, OpCodes.Conv_U8],
        [Load.Bits32] = [OpCodes.Ldind_U4, OpCodes.Conv_U8],
        [Load.Bits64] = [OpCodes.Ldind_I8],
        [Load.Bool] = [OpCodes.Ldind_U1, OpCodes.Ldc_I4_0, OpCodes.Cgt_Un, OpCodes.Conv_U8],
        [Load.NativeInt] = [OpCodes.Ldind_I, OpCodes.Conv_I8],
        [Load.NativeUInt] = [OpCodes.Ldind_I, OpCodes.Conv_U8],
    };

    /// <summary>Replaces a buffer field's address with <c>(ulong)(buffer?.NativePtr ?? 0)</c>.</summary>
    private static void EmitNativePointer(ILGenerator il)
    {
        var none = il.DefineLabel();
        var done = il.DefineLabel();
        il.Emit(OpCodes.Ldind_Ref);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Brfalse_S, none);
        il.Emit(OpCodes.Callvirt, NativePtrGetter);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Br_S, done);
        il.MarkLabel(none);
        il.Emit(OpCodes.Pop);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Conv_U8);
        il.MarkLabel(done);
    }
}
