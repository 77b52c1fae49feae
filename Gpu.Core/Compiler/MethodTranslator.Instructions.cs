using System.Reflection;
using System.Reflection.Emit;

namespace Gpu.Core.Compiler;

/// <summary>The opcodes: each changes the modelled stack and emits IR.</summary>
internal sealed partial class MethodTranslator
{
    private Type? constrainedType;

    /// <summary>Translates one instruction; false when it ended the block.</summary>
    private bool Execute(ILInstruction instruction, int index)
    {
        string name = instruction.OpCode.Name!;
        switch (name)
        {
            case "nop" or "break" or "readonly." or "volatile." or "tail." or "unaligned.":
                return true;
            case "constrained.":
                constrainedType = ResolveType(instruction.Int);
                return true;
            case "ldarg.0" or "ldarg.1" or "ldarg.2" or "ldarg.3":
                Push(Load(Argument(name[^1] - '0')));
                return true;
            case "ldarg.s" or "ldarg":
                Push(Load(Argument(instruction.Int)));
                return true;
            case "ldarga.s" or "ldarga":
                Push(AddressOf(Argument(instruction.Int)));
                return true;
            case "starg.s" or "starg":
                Store(Argument(instruction.Int), Pop());
                return true;
            case "ldloc.0" or "ldloc.1" or "ldloc.2" or "ldloc.3":
                Push(Load(Local(name[^1] - '0')));
                return true;
            case "ldloc.s" or "ldloc":
                Push(Load(Local(instruction.Int)));
                return true;
            case "ldloca.s" or "ldloca":
                Push(AddressOf(Local(instruction.Int)));
                return true;
            case "stloc.0" or "stloc.1" or "stloc.2" or "stloc.3":
                Store(Local(name[^1] - '0'), Pop());
                return true;
            case "stloc.s" or "stloc":
                Store(Local(instruction.Int), Pop());
                return true;
            case "ldc.i4.m1":
                Push(new IRConst(CType.I32, -1L));
                return true;
            case "ldc.i4.0" or "ldc.i4.1" or "ldc.i4.2" or "ldc.i4.3" or "ldc.i4.4" or "ldc.i4.5" or "ldc.i4.6" or "ldc.i4.7" or "ldc.i4.8":
                Push(new IRConst(CType.I32, (long)(name[^1] - '0')));
                return true;
            case "ldc.i4.s" or "ldc.i4":
                Push(new IRConst(CType.I32, Convert.ToInt64(instruction.Operand)));
                return true;
            case "ldc.i8":
                Push(new IRConst(CType.I64, (long)instruction.Operand!));
                return true;
            case "ldc.r4":
                Push(new IRConst(CType.F32, (float)instruction.Operand!));
                return true;
            case "ldc.r8":
                builder.NoteType(CType.F64);
                Push(new IRConst(CType.F64, (double)instruction.Operand!));
                return true;
            case "dup":
                var top = Pop();
                Push(top);
                Push(top);
                return true;
            case "pop":
                Pop();
                return true;
            case "ldnull":
                throw Fail(instruction.Offset, "null references cannot be used on a device");
            case "ldstr":
                throw Fail(instruction.Offset, "strings cannot be used on a device");
            case "call" or "callvirt":
                var constrained = constrainedType;
                constrainedType = null;
                Call(instruction, ResolveMethod(instruction.Int), name == "callvirt", constrained);
                return true;
            case "newobj":
                NewObject(instruction, ResolveMethod(instruction.Int));
                return true;
            case "ret":
                Return();
                return false;
            case "br.s" or "br":
                Jump(instruction.Target);
                return false;
            case "brfalse.s" or "brfalse" or "brtrue.s" or "brtrue":
                var tested = PopScalar();
                var condition = new IRBinary(CType.I32, name.StartsWith("brtrue") ? BinaryOp.NotEqual : BinaryOp.Equal, tested, ZeroOf(tested.Type));
                ConditionalBranch(condition, instruction);
                return false;
            case "beq.s" or "beq" or "bne.un.s" or "bne.un" or "bge.s" or "bge" or "bgt.s" or "bgt" or "ble.s" or "ble" or "blt.s" or "blt"
                or "bge.un.s" or "bge.un" or "bgt.un.s" or "bgt.un" or "ble.un.s" or "ble.un" or "blt.un.s" or "blt.un":
                var right = PopScalar();
                var left = PopScalar();
                ConditionalBranch(Compare(name.Split('.')[0][1..], name.Contains(".un"), left, right), instruction);
                return false;
            case "switch":
                Switch(instruction);
                return false;
            case "add" or "sub" or "mul" or "div" or "div.un" or "rem" or "rem.un" or "and" or "or" or "xor" or "shl" or "shr" or "shr.un":
                var b = PopScalar();
                var a = PopScalar();
                Push(Arithmetic(name, a, b));
                return true;
            case "neg":
                Push(Negate(PopScalar()));
                return true;
            case "not":
                var operand = PopScalar();
                Push(new IRUnary(operand.Type, UnaryOp.BitwiseNot, operand));
                return true;
            case "ceq" or "cgt" or "cgt.un" or "clt" or "clt.un":
                var compareRight = PopScalar();
                var compareLeft = PopScalar();
                Push(Compare(name[1..3] == "eq" ? "eq" : name[1..3], name.EndsWith(".un"), compareLeft, compareRight));
                return true;
            case "conv.r.un" when index + 1 < instructions.Count && instructions[index + 1].OpCode == OpCodes.Conv_R4 && !leaders.Contains(instructions[index + 1].Offset):
                // An unsigned 32-bit value converts to float exactly as through double: skip the double.
                var unsigned = PopScalar();
                Push(unsigned.Type == CType.I32
                    ? new IRConvert(CType.F32, new IRConvert(CType.U32, unsigned))
                    : ConvertTo("conv.r.un", unsigned));
                return true;
            case var _ when name.StartsWith("conv.ovf") || name.EndsWith(".ovf") || name.EndsWith(".ovf.un"):
                throw Fail(instruction.Offset, $"checked arithmetic ({name}) throws OverflowException, and exceptions cannot run on a device");
            case var _ when name.StartsWith("conv."):
                Push(ConvertTo(name, PopScalar()));
                return true;
            case var _ when name.StartsWith("ldind."):
                Push(Load(PopReference().Target));
                return true;
            case var _ when name.StartsWith("stind."):
                var storedValue = Pop();
                Store(PopReference().Target, storedValue);
                return true;
            case "ldobj":
                Push(Load(PopReference().Target));
                return true;
            case "stobj":
                var objectValue = Pop();
                Store(PopReference().Target, objectValue);
                return true;
            case "initobj":
                Zero(PopReference().Target);
                return true;
            case "sizeof":
                Push(new IRConst(CType.I32, (long)KernelTypes.ManagedSize(ResolveType(instruction.Int))));
                return true;
            case "ldfld":
                LoadField(ResolveField(instruction.Int));
                return true;
            case "ldflda":
                Push(new RefValue(FieldStorage(PopReference().Target, ResolveField(instruction.Int))));
                return true;
            case "stfld":
                var fieldValue = Pop();
                Store(FieldStorage(PopReference().Target, ResolveField(instruction.Int)), fieldValue);
                return true;
            case "ldsfld":
                LoadStaticField(ResolveField(instruction.Int));
                return true;
            case "stsfld" or "ldsflda":
                throw Fail(instruction.Offset, "static fields are shared by the whole process and cannot be used on a device");
            case "throw" or "rethrow":
                throw Fail(instruction.Offset, "throwing exceptions cannot run on a device");
            case "box" or "unbox" or "unbox.any" or "castclass" or "isinst":
                throw Fail(instruction.Offset, $"{name} involves a reference type (boxing or casts of objects), which cannot be used on a device");
            case var _ when name is "newarr" or "ldlen" || name.StartsWith("ldelem") || name.StartsWith("stelem"):
                throw Fail(instruction.Offset, "arrays are reference types and cannot be used on a device; use ArrayView<T>");
            case "localloc":
                throw Fail(instruction.Offset, "stackalloc cannot be used on a device; use ILGPU's SharedMemory.Allocate or locals");
            case "leave" or "leave.s" or "endfinally" or "endfilter":
                throw Fail(instruction.Offset, "exception handling (try/catch/finally/using) cannot run on a device");
            default:
                throw Fail(instruction.Offset, $"the IL instruction {name} is not supported by the kernel compiler");
        }
    }

    private Storage Argument(int number) => number < arguments.Length ? arguments[number]
        : throw Fail(currentOffset, $"argument {number} does not exist");

    private Storage Local(int number) => number < locals.Count ? locals[number]
        : throw Fail(currentOffset, $"local {number} does not exist");

    private RefValue AddressOf(Storage storage) => storage switch
    {
        RefStorage => throw Fail(currentOffset, "the address of a ref local or by-ref argument cannot be taken"),
        UnsupportedStorage unsupported => throw Fail(currentOffset, unsupported.Reason),
        _ => new RefValue(storage),
    };

    private void ConditionalBranch(IRExpr condition, ILInstruction instruction)
    {
        var conditionValue = builder.Temp(condition);
        FlowTo(instruction.Target);
        FlowTo(instruction.Next);
        builder.Emit(new IRBranch(conditionValue, BlockAt(instruction.Target), BlockAt(instruction.Next)));
    }

    private void Switch(ILInstruction instruction)
    {
        var value = PopScalar();
        foreach (int target in instruction.Targets)
            FlowTo(target);
        FlowTo(instruction.Next);
        builder.Emit(new IRSwitch(value, instruction.Targets.Select(BlockAt).ToArray(), BlockAt(instruction.Next)));
    }

    private void Return()
    {
        if (returnTarget is null)
        {
            // The kernel's Execute, or a device function.
            builder.Emit(builder.Function.ReturnType is { } type ? new IRReturn(Narrow(PopScalar(), type)) : new IRReturn());
            return;
        }
        if (returnTarget.Result is { } result)
            Store(result, Pop());
        builder.Emit(new IRGoto(returnTarget.Continuation));
    }

    private Storage FieldStorage(Storage owner, FieldInfo field)
    {
        if (field.IsStatic)
            throw Fail(currentOffset, "static fields cannot be used on a device");
        if (owner is StructStorage structure && structure.Fields.TryGetValue(field, out var storage))
            return storage;
        if (owner is ElementStorage element && element.Type == field.DeclaringType)
            return new ElementStorage(field.FieldType, element.Pointer, element.Offset, element.Index, $"{element.Member}.{KernelTypes.FieldName(field)}");
        throw Fail(currentOffset, $"the field {KernelTypes.Describe(field.DeclaringType)}.{field.Name} does not belong to the value it is read from");
    }

    private void LoadField(FieldInfo field)
    {
        var owner = Pop();
        switch (owner)
        {
            case RefValue reference:
                Push(Load(FieldStorage(reference.Target, field)));
                break;
            case StructValue structure when structure.Fields.TryGetValue(field, out var value):
                Push(value);
                break;
            case ObjectValue objectValue:
                throw Fail(currentOffset, $"reading {field.Name} from an object of class {KernelTypes.Describe(objectValue.Type)}; objects cannot be used on a device");
            default:
                throw Fail(currentOffset, $"the field {field.Name} cannot be read from a {Describe(owner)}");
        }
    }

    private void LoadStaticField(FieldInfo field)
    {
        // A static readonly primitive is fixed once the type is initialised: it becomes a literal.
        if (field.IsInitOnly && KernelTypes.Primitive(field.FieldType) is { } type)
        {
            object value = field.GetValue(null)!;
            Push(type switch
            {
                CType.F32 => new IRConst(CType.F32, (float)value),
                CType.F64 => new IRConst(CType.F64, (double)value),
                _ => new IRConst(KernelTypes.StackType(type), value is bool flag ? (flag ? 1L : 0L) : value is ulong or uint or nuint ? unchecked((long)Convert.ToUInt64(value)) : Convert.ToInt64(value)),
            });
            return;
        }
        // An object in a static readonly field is reported where it is used (a call, a field read).
        if (field.IsInitOnly && !field.FieldType.IsValueType && field.FieldType != typeof(string))
        {
            Push(new ObjectValue(field.FieldType));
            return;
        }
        throw Fail(currentOffset, $"the static field {KernelTypes.Describe(field.DeclaringType)}.{field.Name} cannot be used on a device (only static readonly primitives are, as constants)");
    }

    private MethodBase ResolveMethod(int token) => Resolve(() => method.Module.ResolveMethod(token, typeArguments, methodArguments)!);

    private FieldInfo ResolveField(int token) => Resolve(() => method.Module.ResolveField(token, typeArguments, methodArguments)!);

    private Type ResolveType(int token) => Resolve(() => method.Module.ResolveType(token, typeArguments, methodArguments));

    private T Resolve<T>(Func<T> resolve)
    {
        try
        {
            return resolve();
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or MissingMemberException or TypeLoadException)
        {
            throw Fail(currentOffset, $"a metadata token cannot be resolved: {e.Message}");
        }
    }
}
