using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>The intrinsics table: views, group indices, shared memory, barriers, atomics, warp
/// shuffles, packed int8 dot products, Math/MathF and the float bit conversions.</summary>
internal sealed partial class MethodTranslator
{
    private static readonly Dictionary<string, string> UnaryMath = new()
    {
        ["Sqrt"] = "sqrt", ["Exp"] = "exp", ["Log"] = "log", ["Log2"] = "log2", ["Log10"] = "log10",
        ["Sin"] = "sin", ["Cos"] = "cos", ["Tan"] = "tan", ["Asin"] = "asin", ["Acos"] = "acos", ["Atan"] = "atan",
        ["Sinh"] = "sinh", ["Cosh"] = "cosh", ["Tanh"] = "tanh", ["Cbrt"] = "cbrt",
        ["Floor"] = "floor", ["Ceiling"] = "ceil", ["Truncate"] = "trunc", ["Round"] = "rint",
    };

    private static readonly Dictionary<string, string> BinaryMath = new()
    {
        ["Pow"] = "pow", ["Atan2"] = "atan2", ["CopySign"] = "copysign",
    };

    private bool TryIntrinsic(MethodBase callee)
    {
        var declaring = callee.DeclaringType!;
        if (KernelTypes.IsView(declaring))
            ArrayViewMethod(callee);
        else if (IsArrayViewND(declaring))
            ArrayViewNDMethod(callee);
        else if (declaring == typeof(global::ILGPU.Group) || declaring == typeof(global::ILGPU.Grid))
            return GroupMember(callee);
        else if (declaring == typeof(global::ILGPU.SharedMemory))
            AllocateShared(callee);
        else if (declaring == typeof(global::ILGPU.Atomic))
            AtomicCall(callee);
        else if (declaring == typeof(global::ILGPU.Warp))
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} needs warp shuffles, which OpenCL 1.2 does not have; the kernel runs on ILGPU engines (cuda:N) only");
        else if (declaring == typeof(PackedInt8))
            PackedInt8Call(callee);
        else if (declaring == typeof(Math) || declaring == typeof(MathF) || declaring == typeof(float) || declaring == typeof(double))
            return MathCall(callee);
        else if (declaring == typeof(BitConverter))
            return BitConversion(callee);
        else
            return false;
        return true;
    }

    private (IRVariable Pointer, IRExpr Offset) ViewParts(StackValue value) => value switch
    {
        RefValue { Target: ViewStorage view } => (view.Pointer, new IRVar(view.Offset)),
        ViewValue view => (view.Pointer, view.Offset),
        _ => throw Fail(currentOffset, $"expected a view, found a {Describe(value)}"),
    };

    /// <summary>Reads a struct element of a view member by member.</summary>
    private StructValue LoadElement(Type structure, IRVariable pointer, IRExpr offset, IRExpr index, string member)
    {
        var fields = new Dictionary<FieldInfo, StackValue>();
        foreach (var field in KernelTypes.InstanceFields(structure))
        {
            string path = $"{member}.{KernelTypes.FieldName(field)}";
            fields[field] = KernelTypes.MemoryType(field.FieldType) is { } type
                ? new ScalarValue(builder.Temp(Widen(new IRLoad(type, pointer, offset, index, path))))
                : LoadElement(field.FieldType, pointer, offset, index, path);
        }
        return new StructValue(structure, fields);
    }

    /// <summary>Writes a view element: a primitive, or a struct member by member.</summary>
    private void StoreElement(StackValue value, IRVariable pointer, IRExpr offset, IRExpr index, string member)
    {
        switch (value)
        {
            case ScalarValue scalar when member.Length == 0 && pointer.ElementStruct is null:
                builder.Emit(new IRStore(pointer, offset, index, Narrow(scalar.Expression, pointer.ElementType)));
                break;
            case StructValue structure when pointer.ElementStruct is not null:
                foreach (var (field, fieldValue) in structure.Fields)
                {
                    string path = $"{member}.{KernelTypes.FieldName(field)}";
                    if (KernelTypes.MemoryType(field.FieldType) is { } memoryType && fieldValue is ScalarValue leaf)
                        builder.Emit(new IRStore(pointer, offset, index, Narrow(leaf.Expression, memoryType), path));
                    else
                        StoreElement(fieldValue, pointer, offset, index, path);
                }
                break;
            default:
                throw Fail(currentOffset, $"a {Describe(value)} cannot be stored in this view's elements");
        }
    }

    private void RequireGrouped(MethodBase callee)
    {
        if (builder.Shape != KernelShape.Grouped)
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} is only valid inside an IGroupKernel");
    }

    /// <summary>The index registers, by declaring type and property stem: ILGPU's <c>Group</c>
    /// (<c>IdxX</c> thread in the group, <c>DimX</c> threads per group) and <c>Grid</c>
    /// (<c>IdxX</c> group, <c>DimX</c> groups).</summary>
    private static IndexKind? IndexKindOf(Type declaring, string stem) => stem switch
    {
        "Idx" when declaring == typeof(global::ILGPU.Group) => IndexKind.LocalId,
        "Dim" when declaring == typeof(global::ILGPU.Group) => IndexKind.LocalSize,
        "Idx" when declaring == typeof(global::ILGPU.Grid) => IndexKind.GroupId,
        "Dim" when declaring == typeof(global::ILGPU.Grid) => IndexKind.GroupCount,
        _ => null,
    };

    /// <summary>ILGPU marks its device intrinsics (<c>GridIntrinsic</c>, <c>GroupIntrinsic</c>,
    /// <c>WarpIntrinsic</c>, …); its other members (<c>Group.Index</c>, <c>Grid.GlobalIndex</c>) are
    /// plain C# over them and are expanded like user code.</summary>
    private static bool IsIlgpuIntrinsic(MethodBase callee)
        => callee.GetCustomAttributes(inherit: false).Any(a => a.GetType().Namespace == "ILGPU.Frontend.Intrinsic");

    /// <summary>Group and grid indices and the group barrier; false for ILGPU members that are not
    /// intrinsics (expanded by the caller).</summary>
    private bool GroupMember(MethodBase callee)
    {
        string name = callee.Name.StartsWith("get_", StringComparison.Ordinal) ? callee.Name[4..] : callee.Name;
        IndexKind? kind = name.Length > 1 && name[^1] is 'X' or 'Y' or 'Z' ? IndexKindOf(callee.DeclaringType!, name[..^1]) : null;
        if (kind is null && name != nameof(global::ILGPU.Group.Barrier))
        {
            if (!IsIlgpuIntrinsic(callee))
                return false;
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} is not a known intrinsic of the OpenCL 1.2 engine (it knows Group.IdxX/Y/Z, DimX/Y/Z, Barrier and Grid.IdxX/Y/Z, DimX/Y/Z)");
        }
        RequireGrouped(callee);
        if (kind is { } index)
            Push(new IRIndex(index, name[^1] - 'X'));
        else
            builder.Emit(new IRBarrier());
        return true;
    }

    /// <summary>Shared memory of a constant length: ILGPU's <c>SharedMemory.Allocate&lt;T&gt;(int)</c> (an <c>ArrayView&lt;T&gt;</c>).</summary>
    private void AllocateShared(MethodBase callee)
    {
        if (callee.Name != nameof(global::ILGPU.SharedMemory.Allocate) || callee.GetParameters() is not [{ ParameterType: var lengthType }] || lengthType != typeof(int))
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} is not available on the OpenCL 1.2 engine: shared memory must be SharedMemory.Allocate<T>(n) with a constant n (no dynamic shared memory)");
        RequireGrouped(callee);
        if (!builder.IsKernel)
            throw new NeedsKernelScope();
        var length = PopScalar();
        if (length is not IRConst { Value: long constant })
            throw Fail(currentOffset, "SharedMemory.Allocate needs a constant length (a literal or const), so the device can size the allocation statically");
        if (constant <= 0)
            throw Fail(currentOffset, $"SharedMemory.Allocate of {constant} elements; the length must be positive");
        var element = callee.GetGenericArguments()[0];
        var elementType = KernelTypes.MemoryType(element) ?? throw Fail(currentOffset, $"shared memory of {KernelTypes.Describe(element)}; only primitive element types are supported");
        int elementBytes = KernelTypes.SizeOf(elementType);
        var array = builder.NewSharedArray(elementType, (int)constant, elementBytes);
        Push(new ViewValue(((MethodInfo)callee).ReturnType, array, new IRConst(CType.I64, 0L), new IRConst(CType.I32, constant)));
    }

    /// <summary>ILGPU's atomics on a view element, <c>Atomic.Op(ref view[index], operands…)</c>; each
    /// yields the previous value.</summary>
    private void AtomicCall(MethodBase callee)
    {
        var op = callee.Name switch
        {
            nameof(global::ILGPU.Atomic.Add) => AtomicOp.Add,
            nameof(global::ILGPU.Atomic.Min) => AtomicOp.Min,
            nameof(global::ILGPU.Atomic.Max) => AtomicOp.Max,
            nameof(global::ILGPU.Atomic.Exchange) => AtomicOp.Exchange,
            nameof(global::ILGPU.Atomic.CompareExchange) => AtomicOp.CompareExchange,
            _ => throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} is not a known intrinsic (atomics: Add, Min, Max, Exchange, CompareExchange)"),
        };
        var values = PopArguments(callee.GetParameters().Length);
        if (values[0] is not RefValue { Target: ElementStorage { Member.Length: 0, MemoryType: not null } element })
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} needs a reference to a primitive view element (ref view[i]), found a {Describe(values[0])}");
        var operands = values.Skip(1).Select(v => v is ScalarValue s ? Narrow(s.Expression, element.Pointer.ElementType) : throw Fail(currentOffset, "an atomic's operand must be a primitive")).ToArray();
        Push(Widen(new IRAtomic(element.Pointer.ElementType, op, element.Pointer, element.Offset, element.Index, operands)));
    }

    private void PackedInt8Call(MethodBase callee)
    {
        if (callee.Name != nameof(PackedInt8.Dot4))
            throw Fail(currentOffset, $"PackedInt8.{callee.Name} is not a known intrinsic");
        Push(HelperCall(CType.I32, "gpuc_dot4_i8", 3));
    }

    /// <summary>Math, MathF and the float/double statics; false for members not in the table.</summary>
    private bool MathCall(MethodBase callee)
    {
        var parameters = callee.GetParameters();
        if (parameters.Length == 0 || KernelTypes.Primitive(parameters[0].ParameterType) is not { } type)
            return false;
        string name = callee.Name;
        bool isFloat = IsFloat(type);
        string suffix = type switch
        {
            CType.F32 => "f32",
            CType.F64 => "f64",
            CType.U32 => "u32",
            CType.U64 => "u64",
            CType.I64 => "i64",
            _ => "i32",
        };
        CType helperType = type switch { CType.F32 or CType.F64 or CType.U32 or CType.U64 or CType.I64 => type, _ => CType.I32 };
        if (isFloat && parameters.Length == 1 && UnaryMath.TryGetValue(name, out var unary))
        {
            Push(new IRCall(type, unary, [PopScalar()]));
            return true;
        }
        if (isFloat && parameters.Length == 2 && name == "Round" && parameters[1].ParameterType == typeof(MidpointRounding))
        {
            if (PopScalar() is not IRConst { Value: long mode })
                throw Fail(currentOffset, "Math.Round's MidpointRounding must be a constant on devices");
            string function = (MidpointRounding)mode switch
            {
                MidpointRounding.ToEven => "rint",
                MidpointRounding.AwayFromZero => "round",
                MidpointRounding.ToZero => "trunc",
                MidpointRounding.ToNegativeInfinity => "floor",
                _ => "ceil",
            };
            Push(new IRCall(type, function, [PopScalar()]));
            return true;
        }
        if (isFloat && parameters.Length == 2 && BinaryMath.TryGetValue(name, out var binary))
        {
            var right = PopScalar();
            Push(new IRCall(type, binary, [PopScalar(), right]));
            return true;
        }
        switch (name)
        {
            case "FusedMultiplyAdd" when isFloat:
            {
                var addend = PopScalar();
                var multiplier = PopScalar();
                Push(new IRCall(type, $"gpuc_fma_{suffix}", [PopScalar(), multiplier, addend]));
                return true;
            }
            case "Abs" when isFloat:
                Push(new IRCall(type, "fabs", [PopScalar()]));
                return true;
            case "Abs" when !KernelTypes.IsUnsigned(type):
                Push(HelperCall(helperType, $"gpuc_abs_{suffix}", 1));
                return true;
            case "Min" or "Max" when parameters.Length == 2:
                Push(HelperCall(helperType, $"gpuc_{name.ToLowerInvariant()}_{suffix}", 2));
                return true;
            case "Clamp" when parameters.Length == 3:
                Push(HelperCall(helperType, $"gpuc_clamp_{suffix}", 3));
                return true;
            case "IsNaN" when isFloat:
            {
                var value = PopScalar();
                Push(new IRBinary(CType.I32, BinaryOp.NotEqual, value, value));
                return true;
            }
            case "IsFinite" when isFloat:
            {
                var value = PopScalar();
                var difference = builder.Temp(new IRBinary(type, BinaryOp.Subtract, value, value));
                Push(new IRBinary(CType.I32, BinaryOp.Equal, difference, ZeroOf(type)));
                return true;
            }
            case "IsPositiveInfinity" or "IsNegativeInfinity" when isFloat:
                Push(new IRBinary(CType.I32, BinaryOp.Equal, PopScalar(), Infinity(type, name.Contains("Negative"))));
                return true;
            case "IsNegative" or "IsPositive" when isFloat:
            {
                // The sign bit: true for −0 and for NaNs with it set (float.NaN is one), as in .NET.
                var bits = new IRBitCast(type == CType.F32 ? CType.I32 : CType.I64, PopScalar());
                var signed = builder.Temp(bits);
                Push(new IRBinary(CType.I32, name == "IsNegative" ? BinaryOp.Less : BinaryOp.GreaterOrEqual, signed, ZeroOf(signed.Type)));
                return true;
            }
            case "IsInfinity" when isFloat:
                Push(new IRBinary(CType.I32, BinaryOp.Equal, builder.Temp(new IRCall(type, "fabs", [PopScalar()])), Infinity(type, negative: false)));
                return true;
        }
        return false;
    }

    private static IRConst Infinity(CType type, bool negative) => type == CType.F32
        ? new IRConst(type, negative ? float.NegativeInfinity : float.PositiveInfinity)
        : new IRConst(type, negative ? double.NegativeInfinity : double.PositiveInfinity);

    /// <summary>Pops <paramref name="arity"/> operands, converts them to the helper's type and
    /// calls it; the result comes back as a stack value.</summary>
    private IRExpr HelperCall(CType type, string function, int arity)
    {
        var operands = new IRExpr[arity];
        for (int i = arity - 1; i >= 0; i--)
            operands[i] = Narrow(PopScalar(), type);
        return Widen(new IRCall(type, function, operands));
    }

    private bool BitConversion(MethodBase callee)
    {
        CType? target = callee.Name switch
        {
            nameof(BitConverter.SingleToInt32Bits) or nameof(BitConverter.SingleToUInt32Bits) => CType.I32,
            nameof(BitConverter.Int32BitsToSingle) or nameof(BitConverter.UInt32BitsToSingle) => CType.F32,
            nameof(BitConverter.DoubleToInt64Bits) or nameof(BitConverter.DoubleToUInt64Bits) => CType.I64,
            nameof(BitConverter.Int64BitsToDouble) or nameof(BitConverter.UInt64BitsToDouble) => CType.F64,
            _ => null,
        };
        if (target is not { } type)
            return false;
        builder.NoteType(type);
        Push(new IRBitCast(type, PopScalar()));
        return true;
    }
}
