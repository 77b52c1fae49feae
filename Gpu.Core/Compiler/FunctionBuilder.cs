using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>Builds one C function (the kernel, or a device function): the methods expanded into
/// it add their variables, blocks and shared arrays here.</summary>
internal sealed class FunctionBuilder(KernelShape shape, DeviceFunctions functions, IRFunction function, string kernelName)
{
    private int nextVariable;
    private int nextBlock;

    public IRFunction Function { get; } = function;
    public DeviceFunctions Functions { get; } = functions;
    /// <summary>The entry point's name.</summary>
    public string KernelName { get; } = kernelName;
    /// <summary>False while building a device function.</summary>
    public bool IsKernel => Function.Name == KernelName;
    public KernelShape Shape { get; } = shape;

    /// <summary>The block statements go to.</summary>
    public IRBlock Current { get; set; } = null!;

    /// <summary>Bytes of shared arrays declared so far.</summary>
    public int SharedMemoryBytes { get; private set; }

    public IRVariable NewVariable(string prefix, CType type)
    {
        var variable = new IRVariable($"{prefix}{nextVariable++}", type);
        Function.Variables.Add(variable);
        NoteType(type);
        return variable;
    }

    public IRVariable NewParameter(string name, CType type)
    {
        var variable = new IRVariable(name, type) { IsParameter = true };
        Function.Parameters.Add(variable);
        NoteType(type);
        return variable;
    }

    /// <summary>A pointer to elements of <paramref name="element"/> (a primitive or a plain struct).</summary>
    public IRVariable NewPointer(string name, Type element, PointerSpace space, bool parameter, Func<string, Exception> unsupported)
    {
        CType elementType = CType.U8;
        Type? elementStruct = null;
        if (KernelTypes.MemoryType(element) is { } primitive)
            elementType = primitive;
        else if (KernelTypes.ElementStructProblem(element) is { } problem)
            throw unsupported($"a view of {KernelTypes.Describe(element)}: {problem}");
        else
            elementStruct = element;
        var variable = new IRVariable(parameter ? name : $"{name}{nextVariable++}", CType.Pointer)
        {
            ElementType = elementType,
            ElementStruct = elementStruct,
            Space = space,
            IsParameter = parameter,
        };
        (parameter ? Function.Parameters : Function.Variables).Add(variable);
        NoteType(elementType);
        return variable;
    }

    /// <summary>A fresh pointer variable of the same element type and address space.</summary>
    public IRVariable CopyPointer(IRVariable source)
    {
        var variable = new IRVariable($"t{nextVariable++}", CType.Pointer)
        {
            ElementType = source.ElementType,
            ElementStruct = source.ElementStruct,
            Space = source.Space,
        };
        Function.Variables.Add(variable);
        return variable;
    }

    public IRVariable NewSharedArray(CType elementType, int length, int elementBytes)
    {
        var variable = new IRVariable($"shared{nextVariable++}", CType.Pointer)
        {
            ElementType = elementType,
            Space = new PointerSpace(AddressSpace.Shared),
            SharedArrayLength = length,
        };
        Function.Variables.Add(variable);
        SharedMemoryBytes = checked(SharedMemoryBytes + length * elementBytes);
        NoteType(elementType);
        return variable;
    }

    public void NoteType(CType type)
    {
        if (type == CType.F64)
            Function.UsesDouble = true;
    }

    public IRBlock NewBlock(string hint)
    {
        var block = new IRBlock($"{hint}_{nextBlock++}");
        Function.Blocks.Add(block);
        return block;
    }

    public void Emit(IRStatement statement) => Current.Statements.Add(statement);

    /// <summary>Assigns <paramref name="value"/> to a fresh temporary: one per IL stack push.</summary>
    public IRVar Temp(IRExpr value)
    {
        NoteType(value.Type);
        var variable = NewVariable("t", value.Type);
        Emit(new IRAssign(variable, value));
        return new IRVar(variable);
    }

    /// <summary>Fresh storage for a value of <paramref name="type"/> (a local, an argument, a join slot).</summary>
    /// <param name="type">The .NET type.</param>
    /// <param name="prefix">Variable name prefix.</param>
    /// <param name="unsupported">Reports a type that cannot live on a device.</param>
    public Storage Allocate(Type type, string prefix, Func<string, Exception> unsupported)
    {
        if (type.IsByRef)
            return new RefStorage(type);
        if (KernelTypes.Primitive(type) is { } primitive)
            return new ScalarStorage(type, NewVariable(prefix, primitive));
        if (KernelTypes.IsView(type))
        {
            var pointer = NewPointer(prefix, KernelTypes.ElementOf(type), new PointerSpace(), parameter: false, unsupported);
            return new ViewStorage(type, pointer, NewVariable(prefix, CType.I64), NewVariable(prefix, CType.I64));
        }
        if (KernelTypes.IsUserStruct(type))
        {
            var fields = new Dictionary<FieldInfo, Storage>();
            foreach (var field in KernelTypes.InstanceFields(type))
                fields[field] = Allocate(field.FieldType, prefix, unsupported);
            return new StructStorage(type, fields);
        }
        if (type.IsPointer)
            throw unsupported($"the pointer type {type} (use ArrayView<T>)");
        throw unsupported($"the type {KernelTypes.Describe(type)}: reference types (classes, arrays, strings, delegates) cannot be used on devices");
    }
}
