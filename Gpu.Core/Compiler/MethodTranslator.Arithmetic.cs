namespace Gpu.Core.Compiler;

/// <summary>C# semantics of arithmetic, comparisons and conversions, spelled out where C differs:
/// signed integer arithmetic wraps (done in unsigned), shift counts are masked, integer division
/// by zero and int.MinValue / −1 are defined (0 and wrap) instead of undefined, float-to-integer
/// conversions saturate with NaN → 0 as in .NET, and unordered float comparisons are NaN-true.</summary>
internal sealed partial class MethodTranslator
{
    private static CType UnsignedOf(CType type) => type == CType.I64 ? CType.U64 : CType.U32;

    private static IRExpr AsUnsigned(IRExpr value) => new IRConvert(UnsignedOf(value.Type), value);

    private static bool IsFloat(CType type) => type is CType.F32 or CType.F64;

    /// <summary>Brings two stack operands to one type, as IL's binary operand table allows.</summary>
    private (IRExpr Left, IRExpr Right) Balance(IRExpr left, IRExpr right)
    {
        if (left.Type == right.Type)
            return (left, right);
        if (IsFloat(left.Type) && IsFloat(right.Type))
            return (Promote(left, CType.F64), Promote(right, CType.F64));
        if (!IsFloat(left.Type) && !IsFloat(right.Type))
            return (Promote(left, CType.I64), Promote(right, CType.I64));
        throw Fail(currentOffset, $"an operation mixes {left.Type} and {right.Type}");
    }

    private static IRExpr Promote(IRExpr value, CType type) => value.Type == type ? value : new IRConvert(type, value);

    private IRExpr Arithmetic(string name, IRExpr left, IRExpr right)
    {
        if (name is "shl" or "shr" or "shr.un")
            return Shift(name, left, right);
        (left, right) = Balance(left, right);
        var type = left.Type;
        string width = type switch { CType.I32 => "32", CType.I64 => "64", CType.F32 => "f32", _ => "f64" };
        if (IsFloat(type))
        {
            return name switch
            {
                "add" => new IRBinary(type, BinaryOp.Add, left, right),
                "sub" => new IRBinary(type, BinaryOp.Subtract, left, right),
                "mul" => new IRBinary(type, BinaryOp.Multiply, left, right),
                "div" => new IRBinary(type, BinaryOp.Divide, left, right),
                // C# % on floats is the truncated remainder, which is C's fmod.
                "rem" => new IRCall(type, "fmod", [left, right]),
                _ => throw Fail(currentOffset, $"{name} is not defined on floating-point values"),
            };
        }
        return name switch
        {
            "add" => Wrapping(BinaryOp.Add, left, right),
            "sub" => Wrapping(BinaryOp.Subtract, left, right),
            "mul" => Wrapping(BinaryOp.Multiply, left, right),
            "div" when IsPlainSignedDivisor(right) => new IRBinary(type, BinaryOp.Divide, left, right),
            "rem" when IsPlainSignedDivisor(right) => new IRBinary(type, BinaryOp.Remainder, left, right),
            "div.un" when IsNonzeroConstant(right) => new IRConvert(type, new IRBinary(UnsignedOf(type), BinaryOp.Divide, AsUnsigned(left), AsUnsigned(right))),
            "rem.un" when IsNonzeroConstant(right) => new IRConvert(type, new IRBinary(UnsignedOf(type), BinaryOp.Remainder, AsUnsigned(left), AsUnsigned(right))),
            "div" => new IRCall(type, $"gpuc_div_i{width}", [left, right]),
            "rem" => new IRCall(type, $"gpuc_rem_i{width}", [left, right]),
            "div.un" => new IRConvert(type, new IRCall(UnsignedOf(type), $"gpuc_div_u{width}", [AsUnsigned(left), AsUnsigned(right)])),
            "rem.un" => new IRConvert(type, new IRCall(UnsignedOf(type), $"gpuc_rem_u{width}", [AsUnsigned(left), AsUnsigned(right)])),
            "and" => new IRBinary(type, BinaryOp.And, left, right),
            "or" => new IRBinary(type, BinaryOp.Or, left, right),
            _ => new IRBinary(type, BinaryOp.Xor, left, right),
        };
    }

    /// <summary>A constant divisor other than 0 and −1 needs none of the helper's guards: C's
    /// truncating <c>/</c> and <c>%</c> then agree with C# and cannot overflow, and the C compiler
    /// can turn the division into a multiplication.</summary>
    private static bool IsPlainSignedDivisor(IRExpr divisor)
        => divisor is IRConst { Value: var value } && IntegerBits(value) is { } bits && bits is not (0 or -1);

    /// <summary>An unsigned division's only guard is against a zero divisor.</summary>
    private static bool IsNonzeroConstant(IRExpr divisor)
        => divisor is IRConst { Value: var value } && IntegerBits(value) is { } bits && bits != 0;

    /// <summary>An integer constant as the signed value of its bits (an all-ones unsigned long is −1), or null for other constants.</summary>
    private static long? IntegerBits(object value) => value switch
    {
        int i => i,
        long l => l,
        uint u => u,
        ulong u => unchecked((long)u),
        _ => null,
    };

    /// <summary>Signed overflow is undefined in C: compute in unsigned and convert back.</summary>
    private static IRExpr Wrapping(BinaryOp op, IRExpr left, IRExpr right)
        => new IRConvert(left.Type, new IRBinary(UnsignedOf(left.Type), op, AsUnsigned(left), AsUnsigned(right)));

    private IRExpr Shift(string name, IRExpr value, IRExpr amount)
    {
        if (IsFloat(value.Type) || IsFloat(amount.Type))
            throw Fail(currentOffset, $"{name} of a floating-point value");
        // .NET masks the count to the operand's width; C leaves larger counts undefined.
        var count = new IRBinary(amount.Type, BinaryOp.And, amount, new IRConst(amount.Type, value.Type == CType.I64 ? 63L : 31L));
        return name switch
        {
            "shl" => new IRConvert(value.Type, new IRBinary(UnsignedOf(value.Type), BinaryOp.ShiftLeft, AsUnsigned(value), count)),
            "shr" => new IRBinary(value.Type, BinaryOp.ShiftRight, value, count),
            _ => new IRConvert(value.Type, new IRBinary(UnsignedOf(value.Type), BinaryOp.ShiftRight, AsUnsigned(value), count)),
        };
    }

    private IRExpr Negate(IRExpr value) => IsFloat(value.Type)
        ? new IRUnary(value.Type, UnaryOp.Negate, value)
        : Wrapping(BinaryOp.Subtract, ZeroOf(value.Type), value);

    /// <summary>A comparison yielding 0 or 1. <paramref name="kind"/> is eq, ne, gt, ge, lt or le;
    /// <paramref name="unsignedOrUnordered"/> is the opcode's <c>.un</c>.</summary>
    private IRExpr Compare(string kind, bool unsignedOrUnordered, IRExpr left, IRExpr right)
    {
        (left, right) = Balance(left, right);
        var op = kind switch
        {
            "eq" => BinaryOp.Equal,
            "ne" => BinaryOp.NotEqual,
            "gt" => BinaryOp.Greater,
            "ge" => BinaryOp.GreaterOrEqual,
            "lt" => BinaryOp.Less,
            "le" => BinaryOp.LessOrEqual,
            _ => throw Fail(currentOffset, $"unknown comparison {kind}"),
        };
        if (!unsignedOrUnordered || op is BinaryOp.Equal or BinaryOp.NotEqual)
            return new IRBinary(CType.I32, op, left, right);
        if (!IsFloat(left.Type))
            return new IRBinary(CType.I32, op, AsUnsigned(left), AsUnsigned(right));
        // Unordered: true when either is NaN, so negate the opposite ordered comparison.
        var opposite = op switch
        {
            BinaryOp.Greater => BinaryOp.LessOrEqual,
            BinaryOp.GreaterOrEqual => BinaryOp.Less,
            BinaryOp.Less => BinaryOp.GreaterOrEqual,
            _ => BinaryOp.Greater,
        };
        return new IRUnary(CType.I32, UnaryOp.LogicalNot, new IRBinary(CType.I32, opposite, left, right));
    }

    /// <summary>The <c>conv.*</c> opcodes.</summary>
    private IRExpr ConvertTo(string name, IRExpr value)
    {
        CType target = name switch
        {
            "conv.i1" => CType.I8,
            "conv.u1" => CType.U8,
            "conv.i2" => CType.I16,
            "conv.u2" => CType.U16,
            "conv.i4" => CType.I32,
            "conv.u4" => CType.U32,
            "conv.i8" or "conv.i" => CType.I64,
            "conv.u8" or "conv.u" => CType.U64,
            "conv.r4" => CType.F32,
            "conv.r8" or "conv.r.un" => CType.F64,
            _ => throw Fail(currentOffset, $"the conversion {name} is not supported"),
        };
        builder.NoteType(target);
        if (name == "conv.r.un")
            return IsFloat(value.Type) ? Promote(value, CType.F64) : new IRConvert(CType.F64, AsUnsigned(value));
        if (IsFloat(target))
            return value.Type == target ? value : new IRConvert(target, value);
        if (IsFloat(value.Type))
        {
            // .NET saturates float-to-integer conversions and maps NaN to 0; the small types go
            // through a saturated int32 and then wrap, exactly as the .NET 10 JIT does.
            string source = value.Type == CType.F32 ? "f32" : "f64";
            var converted = target switch
            {
                CType.U32 => new IRCall(CType.U32, $"gpuc_{source}_to_u32", [value]),
                CType.I64 => new IRCall(CType.I64, $"gpuc_{source}_to_i64", [value]),
                CType.U64 => new IRCall(CType.U64, $"gpuc_{source}_to_u64", [value]),
                _ => new IRCall(CType.I32, $"gpuc_{source}_to_i32", [value]),
            };
            return Settle(converted, target);
        }
        if (target == CType.U64 && value.Type == CType.I32)
            return new IRConvert(CType.I64, new IRConvert(CType.U32, value));
        return Settle(value, target);
    }

    /// <summary>Converts an integer to <paramref name="target"/> (wrapping) and back to its stack type.</summary>
    private static IRExpr Settle(IRExpr value, CType target)
    {
        var narrowed = value.Type == target ? value : new IRConvert(target, value);
        var stackType = KernelTypes.StackType(target);
        return narrowed.Type == stackType ? narrowed : new IRConvert(stackType, narrowed);
    }
}
