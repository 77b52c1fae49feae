using System.Globalization;
using System.Text;

namespace Gpu.Core.Compiler;

/// <summary>Prints a translated kernel as one C translation unit: the dialect's header, the
/// prelude, struct typedefs, the device functions (callees first), then the entry point; each
/// function declares every variable at its top (no jump crosses an initialisation) and has one
/// label per block.</summary>
internal sealed class CEmitter
{
    private static readonly CDialect dialect = CDialect.OpenCL;

    private readonly StringBuilder text = new();

    public string Emit(KernelTranslator.Result program, KernelCompileOptions options)
    {
        text.AppendLine(dialect.Header(options, program.UsesDouble));
        text.AppendLine(CPrelude.Common);
        if (program.UsesDouble)
            text.AppendLine(CPrelude.Double);
        text.AppendLine(CPrelude.OpenCLFloatAtomics);
        text.AppendLine();
        text.Append("/* the kernel ").Append(program.Function.Name).AppendLine(" */");
        var functions = program.DeviceFunctions.Append(program.Function).ToList();
        var declared = new HashSet<Type>();
        foreach (var variable in functions.SelectMany(f => f.Parameters.Concat(f.Variables)))
            if (variable.ElementStruct is { } structure)
                DeclareStruct(structure, declared);
        foreach (var deviceFunction in program.DeviceFunctions)
        {
            string result = deviceFunction.ReturnType is { } type ? CDialect.TypeName(type) : "void";
            EmitFunction(deviceFunction, $"GPUC_FN {result}");
        }
        EmitFunction(program.Function, dialect.EntryQualifier);
        return text.ToString();
    }

    private void EmitFunction(IRFunction function, string qualifiers)
    {
        text.Append(qualifiers).Append(' ').Append(function.Name).Append('(');
        text.Append(string.Join(", ", function.Parameters.Select(Declaration)));
        text.AppendLine(")");
        text.AppendLine("{");
        foreach (var variable in function.Variables)
            text.Append("    ").Append(Declaration(variable)).AppendLine(";");
        foreach (var block in function.Blocks)
        {
            text.Append(block.Label).AppendLine(": ;");
            foreach (var statement in block.Statements)
                text.Append("    ").AppendLine(Statement(statement));
        }
        text.AppendLine("}");
    }

    /// <summary>C name of a struct element type.</summary>
    private static string StructName(Type structure) => $"gpuc_{KernelTypes.Identifier(KernelTypes.Describe(structure))}";

    /// <summary>A typedef laid out as .NET lays the struct out (checked by KernelTypes.ElementStructProblem).</summary>
    private void DeclareStruct(Type structure, HashSet<Type> declared)
    {
        if (!declared.Add(structure))
            return;
        var fields = KernelTypes.InstanceFields(structure);
        foreach (var field in fields)
            if (KernelTypes.MemoryType(field.FieldType) is null)
                DeclareStruct(field.FieldType, declared);
        text.Append("typedef struct { ");
        foreach (var field in fields)
        {
            string type = KernelTypes.MemoryType(field.FieldType) is { } primitive ? CDialect.TypeName(primitive) : StructName(field.FieldType);
            text.Append(type).Append(' ').Append(KernelTypes.FieldName(field)).Append("; ");
        }
        text.Append("} ").Append(StructName(structure)).AppendLine(";");
    }

    private string ElementTypeName(IRVariable pointer) => pointer.ElementStruct is { } structure ? StructName(structure) : CDialect.TypeName(pointer.ElementType);

    private string Declaration(IRVariable variable)
    {
        if (variable.SharedArrayLength >= 0)
            return $"{dialect.SharedArray}{CDialect.TypeName(variable.ElementType)} {variable.Name}[{variable.SharedArrayLength}]";
        if (variable.Type == CType.Pointer)
            return $"{dialect.PointerQualifier(variable.Space.Resolved)}{ElementTypeName(variable)}* {variable.Name}";
        return $"{CDialect.TypeName(variable.Type)} {variable.Name}";
    }

    private string Statement(IRStatement statement) => statement switch
    {
        IRAssign assign => $"{assign.Target.Name} = {Expression(assign.Value)};",
        IRStore store => $"{store.Pointer.Name}[{Expression(store.Offset)} + {Expression(store.Index)}]{store.Member} = {Expression(store.Value)};",
        IREvaluate evaluate => $"(void){Expression(evaluate.Value)};",
        IRBarrier => dialect.Barrier,
        IRGoto jump => $"goto {jump.Target.Label};",
        IRBranch branch when ReferenceEquals(branch.IfTrue, branch.IfFalse) => $"goto {branch.IfTrue.Label};",
        IRBranch branch => $"if ({Expression(branch.Condition)}) goto {branch.IfTrue.Label}; else goto {branch.IfFalse.Label};",
        IRSwitch choice => Switch(choice),
        IRReturn { Value: { } value } => $"return {Expression(value)};",
        IRReturn => "return;",
        _ => throw new InvalidOperationException($"no C for {statement.GetType().Name}"),
    };

    private string Switch(IRSwitch choice)
    {
        var cases = choice.Cases.Select((block, value) => $"case {value}: goto {block.Label};");
        return $"switch ({Expression(choice.Value)}) {{ {string.Join(' ', cases)} default: goto {choice.Default.Label}; }}";
    }

    private string Expression(IRExpr expression) => expression switch
    {
        IRVar variable => variable.Variable.Name,
        IRConst constant => Literal(constant),
        IRUnary unary => $"({UnaryOperator(unary.Op)}{Expression(unary.Operand)})",
        IRBinary binary => $"({Expression(binary.Left)} {BinaryOperator(binary.Op)} {Expression(binary.Right)})",
        IRConvert convert => $"(({CDialect.TypeName(convert.Type)}){Expression(convert.Operand)})",
        IRBitCast cast => BitCast(cast),
        IRCall call => $"{call.Function}({string.Join(", ", call.Arguments.Select(Expression))})",
        IRIndex index => dialect.Index(index.Kind, index.Dimension),
        IRLoad load => $"{load.Pointer.Name}[{Expression(load.Offset)} + {Expression(load.Index)}]{load.Member}",
        IRAtomic atomic => Atomic(atomic),
        _ => throw new InvalidOperationException($"no C for {expression.GetType().Name}"),
    };

    private string BitCast(IRBitCast cast) => cast.Type switch
    {
        CType.F32 => $"GPUC_AS_FLOAT({Expression(cast.Operand)})",
        CType.I32 => $"((int)GPUC_AS_UINT({Expression(cast.Operand)}))",
        CType.F64 => $"GPUC_AS_DOUBLE({Expression(cast.Operand)})",
        _ => $"((llong)GPUC_AS_ULLONG({Expression(cast.Operand)}))",
    };

    private string Atomic(IRAtomic atomic)
    {
        string address = $"&{atomic.Pointer.Name}[{Expression(atomic.Offset)} + {Expression(atomic.Index)}]";
        var operands = atomic.Operands.Select(Expression);
        string function = atomic.Op switch
        {
            AtomicOp.Add when atomic.Type == CType.F32
                => atomic.Pointer.Space.Resolved == AddressSpace.Shared ? "gpuc_atomic_add_f32_local" : "gpuc_atomic_add_f32_global",
            AtomicOp.Add => "atomic_add",
            AtomicOp.Min => "atomic_min",
            AtomicOp.Max => "atomic_max",
            AtomicOp.Exchange => "atomic_xchg",
            _ => "atomic_cmpxchg",
        };
        return $"{function}({string.Join(", ", [address, .. operands])})";
    }

    private static string UnaryOperator(UnaryOp op) => op switch
    {
        UnaryOp.Negate => "-",
        UnaryOp.BitwiseNot => "~",
        _ => "!",
    };

    private static string BinaryOperator(BinaryOp op) => op switch
    {
        BinaryOp.Add => "+",
        BinaryOp.Subtract => "-",
        BinaryOp.Multiply => "*",
        BinaryOp.Divide => "/",
        BinaryOp.Remainder => "%",
        BinaryOp.And => "&",
        BinaryOp.Or => "|",
        BinaryOp.Xor => "^",
        BinaryOp.ShiftLeft => "<<",
        BinaryOp.ShiftRight => ">>",
        BinaryOp.Equal => "==",
        BinaryOp.NotEqual => "!=",
        BinaryOp.Less => "<",
        BinaryOp.LessOrEqual => "<=",
        BinaryOp.Greater => ">",
        _ => ">=",
    };

    /// <summary>An exact C literal: integers with their extremes spelled safely, floats as hex
    /// floats, NaN and infinities as bit patterns.</summary>
    public string Literal(IRConst constant)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (constant.Type)
        {
            case CType.F32:
                float single = Convert.ToSingle(constant.Value, invariant);
                return float.IsFinite(single)
                    ? HexFloat(single, "f")
                    : $"GPUC_AS_FLOAT(0x{BitConverter.SingleToUInt32Bits(single):x8}u)";
            case CType.F64:
                double value = Convert.ToDouble(constant.Value, invariant);
                return double.IsFinite(value)
                    ? HexFloat(value, "")
                    : $"GPUC_AS_DOUBLE(0x{BitConverter.DoubleToUInt64Bits(value):x16}{dialect.UnsignedLongSuffix})";
            case CType.Pointer:
                return "0";
            case CType.U32:
                return $"{unchecked((uint)Convert.ToUInt64(constant.Value, invariant))}u";
            case CType.U64 or CType.U8 or CType.U16:
                ulong unsignedValue = constant.Value is long signedBits ? unchecked((ulong)signedBits) : Convert.ToUInt64(constant.Value, invariant);
                return constant.Type == CType.U64 ? $"{unsignedValue}{dialect.UnsignedLongSuffix}" : unsignedValue.ToString(invariant);
            case CType.I64:
                long wide = Convert.ToInt64(constant.Value, invariant);
                return wide == long.MinValue
                    ? $"(-9223372036854775807{dialect.SignedLongSuffix} - 1)"
                    : $"({wide.ToString(invariant)}{dialect.SignedLongSuffix})";
            default:
                long narrow = Convert.ToInt64(constant.Value, invariant);
                return narrow == int.MinValue ? "(-2147483647 - 1)" : narrow < 0 ? $"({narrow.ToString(invariant)})" : narrow.ToString(invariant);
        }
    }

    /// <summary>C99 hexadecimal floating literal of a finite value: exact by construction.</summary>
    public static string HexFloat(double value, string suffix)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        bool negative = (bits >> 63) != 0;
        int exponent = (int)((bits >> 52) & 0x7ff);
        ulong mantissa = bits & ((1UL << 52) - 1);
        string magnitude = exponent == 0
            ? mantissa == 0 ? "0x0p+0" : $"0x0.{mantissa:x13}p-1022"
            : $"0x1.{mantissa:x13}p{(exponent - 1023 >= 0 ? "+" : "")}{exponent - 1023}";
        return negative ? $"(-{magnitude}{suffix})" : magnitude + suffix;
    }
}
