using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>Where an expanded call returns to: the storage of its result (null for void) and the
/// block that continues the caller.</summary>
internal sealed record ReturnTarget(Storage? Result, IRBlock Continuation);

/// <summary>Translates one method's IL into IR blocks of the kernel's function, by abstract
/// interpretation of the evaluation stack over its basic blocks. Calls are expanded by nested
/// translators; <c>ret</c> jumps to the caller's continuation.</summary>
internal sealed partial class MethodTranslator
{
    private readonly FunctionBuilder builder;
    private readonly MethodBase method;
    private readonly IReadOnlyList<MethodBase> callChain;
    private readonly ReturnTarget? returnTarget;
    private readonly Type[]? typeArguments;
    private readonly Type[]? methodArguments;
    private readonly Storage[] arguments;
    private readonly List<Storage> locals = [];
    private readonly Dictionary<int, IRBlock> blocks = [];
    private readonly Dictionary<int, EntryState> entryStates = [];
    private readonly Queue<int> pending = new();
    private readonly List<StackValue> stack = [];
    private List<ILInstruction> instructions = [];
    private readonly Dictionary<int, int> indexOfOffset = [];
    private readonly HashSet<int> leaders = [];
    private int currentOffset;

    private sealed class UnsupportedLocal(string reason) : Exception(reason);

    /// <summary>A block's stack on entry: join storage per slot, or a reference every edge agrees on.</summary>
    private sealed record EntryState(Storage?[] Slots, RefValue?[] References);

    public MethodTranslator(FunctionBuilder builder, MethodBase method, IReadOnlyList<StackValue> argumentValues,
        ReturnTarget? returnTarget, IReadOnlyList<MethodBase> callChain)
    {
        this.builder = builder;
        this.method = method;
        this.returnTarget = returnTarget;
        this.callChain = [.. callChain, method];
        typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;

        var parameterTypes = new List<Type>();
        if (!method.IsStatic)
            parameterTypes.Add(method.DeclaringType!.MakeByRefType());
        parameterTypes.AddRange(method.GetParameters().Select(p => p.ParameterType));
        arguments = new Storage[parameterTypes.Count];
        for (int i = 0; i < parameterTypes.Count; i++)
        {
            arguments[i] = Allocate(parameterTypes[i], "a");
            Store(arguments[i], argumentValues[i]);
        }
    }

    /// <summary>Translates the body, starting in the builder's current block.</summary>
    public void Translate()
    {
        var body = method.GetMethodBody() ?? throw Fail(0, "the method has no IL body (it is external, abstract or implemented by the runtime)");
        if (body.ExceptionHandlingClauses.Count > 0)
            throw Fail(body.ExceptionHandlingClauses.Min(c => c.TryOffset), "exception handling (try/catch/finally/using) cannot run on a device");
        foreach (var local in body.LocalVariables)
        {
            if (local.IsPinned)
                throw Fail(0, "pinned locals (fixed statements) cannot run on a device");
            Storage storage;
            try
            {
                storage = builder.Allocate(local.LocalType, "l", reason => new UnsupportedLocal(reason));
            }
            catch (UnsupportedLocal e)
            {
                storage = new UnsupportedStorage(local.LocalType, $"a local of {e.Message}");
            }
            // .locals init: every local starts zeroed, as in .NET.
            if (body.InitLocals)
                Zero(storage);
            locals.Add(storage);
        }
        instructions = ILDecoder.Decode(body.GetILAsByteArray() ?? []);
        FindLeaders();
        Jump(0);
        while (pending.TryDequeue(out int offset))
            TranslateBlock(offset);
    }

    private void FindLeaders()
    {
        leaders.Add(0);
        for (int i = 0; i < instructions.Count; i++)
        {
            var instruction = instructions[i];
            indexOfOffset[instruction.Offset] = i;
            switch (instruction.OpCode.FlowControl)
            {
                case System.Reflection.Emit.FlowControl.Branch:
                case System.Reflection.Emit.FlowControl.Cond_Branch:
                    if (instruction.Operand is int[] targets)
                        leaders.UnionWith(targets);
                    else
                        leaders.Add(instruction.Target);
                    leaders.Add(instruction.Next);
                    break;
                case System.Reflection.Emit.FlowControl.Return:
                case System.Reflection.Emit.FlowControl.Throw:
                    leaders.Add(instruction.Next);
                    break;
            }
        }
    }

    private IRBlock BlockAt(int offset)
    {
        if (!blocks.TryGetValue(offset, out var block))
        {
            block = builder.NewBlock($"{KernelTypes.Identifier(method.Name)}_IL_{offset:x4}");
            blocks[offset] = block;
        }
        return block;
    }

    /// <summary>Ends the current block with a jump to the block at <paramref name="offset"/>.</summary>
    private void Jump(int offset)
    {
        FlowTo(offset);
        builder.Emit(new IRGoto(BlockAt(offset)));
    }

    /// <summary>Hands the current stack to the block at <paramref name="offset"/>: the first edge
    /// fixes the slots' shapes; every edge assigns the join variables.</summary>
    private void FlowTo(int offset)
    {
        if (!indexOfOffset.ContainsKey(offset))
            throw Fail(currentOffset, $"branch to IL_{offset:x4}, which is not an instruction");
        if (!entryStates.TryGetValue(offset, out var state))
        {
            var slots = new Storage?[stack.Count];
            var references = new RefValue?[stack.Count];
            for (int i = 0; i < stack.Count; i++)
            {
                if (stack[i] is RefValue reference)
                    references[i] = reference;
                else
                    slots[i] = Allocate(TypeOf(stack[i]), "j");
            }
            state = new EntryState(slots, references);
            entryStates[offset] = state;
            pending.Enqueue(offset);
        }
        if (state.Slots.Length != stack.Count)
            throw Fail(currentOffset, $"the stack depth at IL_{offset:x4} differs between the paths that reach it");
        for (int i = 0; i < stack.Count; i++)
        {
            if (state.Slots[i] is { } slot)
                Store(slot, stack[i]);
            else if (stack[i] is not RefValue reference || !ReferenceEquals(reference.Target, state.References[i]!.Target))
                throw Fail(currentOffset, $"different references meet at IL_{offset:x4}; a ref chosen by a condition is not supported");
        }
    }

    private void TranslateBlock(int offset)
    {
        builder.Current = BlockAt(offset);
        stack.Clear();
        var state = entryStates[offset];
        for (int i = 0; i < state.Slots.Length; i++)
            stack.Add(state.Slots[i] is { } slot ? Load(slot) : state.References[i]!);
        for (int index = indexOfOffset[offset]; index < instructions.Count; index++)
        {
            var instruction = instructions[index];
            if (index != indexOfOffset[offset] && leaders.Contains(instruction.Offset))
            {
                Jump(instruction.Offset);
                return;
            }
            currentOffset = instruction.Offset;
            if (!Execute(instruction, index))
                return;
        }
        throw Fail(currentOffset, "control runs off the end of the method");
    }

    private Type TypeOf(StackValue value) => value switch
    {
        ScalarValue scalar => KernelTypes.ClrTypeOf(scalar.Type),
        ViewValue view => view.ViewType,
        StructValue structure => structure.Type,
        _ => throw Fail(currentOffset, "a reference cannot be stored"),
    };

    private Storage Allocate(Type type, string prefix) => builder.Allocate(type, prefix, reason => Fail(currentOffset, $"cannot use {reason}"));

    /// <summary>Copies the value in <paramref name="storage"/> into fresh temporaries.</summary>
    private StackValue Load(Storage storage)
    {
        switch (storage)
        {
            case ScalarStorage scalar:
                return new ScalarValue(builder.Temp(Widen(new IRVar(scalar.Variable))));
            case ViewStorage view:
                var pointer = builder.CopyPointer(view.Pointer);
                builder.Emit(new IRAssign(pointer, new IRVar(view.Pointer)));
                return new ViewValue(view.Type, pointer, builder.Temp(new IRVar(view.Offset)), builder.Temp(new IRVar(view.Length)));
            case StructStorage structure:
                return new StructValue(structure.Type, structure.Fields.ToDictionary(f => f.Key, f => Load(f.Value)));
            case RefStorage reference:
                return reference.Bound ?? throw Fail(currentOffset, "a ref local is read before it is assigned");
            case ElementStorage element:
                return element.MemoryType is { } memoryType
                    ? new ScalarValue(builder.Temp(Widen(new IRLoad(memoryType, element.Pointer, element.Offset, element.Index, element.Member))))
                    : LoadElement(element.Type, element.Pointer, element.Offset, element.Index, element.Member);
            case UnsupportedStorage unsupported:
                throw Fail(currentOffset, unsupported.Reason);
            default:
                throw new InvalidOperationException(storage.GetType().Name);
        }
    }

    /// <summary>Stores <paramref name="value"/> into <paramref name="storage"/>, narrowing primitives.</summary>
    private void Store(Storage storage, StackValue value)
    {
        switch (storage, value)
        {
            case (ScalarStorage scalar, ScalarValue source):
                builder.Emit(new IRAssign(scalar.Variable, Narrow(source.Expression, scalar.Variable.Type)));
                break;
            case (ViewStorage view, ViewValue source):
                if (!view.Pointer.Space.Unify(source.Pointer.Space))
                    throw Fail(currentOffset, "a view variable holds both device memory and shared memory; OpenCL needs one address space per variable");
                builder.Emit(new IRAssign(view.Pointer, new IRVar(source.Pointer)));
                builder.Emit(new IRAssign(view.Offset, source.Offset));
                builder.Emit(new IRAssign(view.Length, source.Length));
                break;
            case (StructStorage structure, StructValue source):
                foreach (var (field, fieldStorage) in structure.Fields)
                    Store(fieldStorage, source.Fields[field]);
                break;
            case (RefStorage reference, RefValue source):
                if (reference.Bound is { } bound && !ReferenceEquals(bound.Target, source.Target))
                    throw Fail(currentOffset, "a ref local is reassigned to another location; only refs bound once are supported");
                reference.Bound = source;
                break;
            case (ElementStorage element, ScalarValue source) when element.MemoryType is { } memoryType:
                builder.Emit(new IRStore(element.Pointer, element.Offset, element.Index, Narrow(source.Expression, memoryType), element.Member));
                break;
            case (ElementStorage element, StructValue):
                StoreElement(value, element.Pointer, element.Offset, element.Index, element.Member);
                break;
            case (UnsupportedStorage unsupported, _):
                throw Fail(currentOffset, unsupported.Reason);
            default:
                throw Fail(currentOffset, $"a {Describe(value)} cannot be stored where a {KernelTypes.Describe(storage.Type)} lives");
        }
    }

    /// <summary>Sets storage to its default value (<c>initobj</c>, <c>.locals init</c>).</summary>
    private void Zero(Storage storage)
    {
        switch (storage)
        {
            case ScalarStorage scalar:
                builder.Emit(new IRAssign(scalar.Variable, ZeroOf(scalar.Variable.Type)));
                break;
            case ViewStorage view:
                builder.Emit(new IRAssign(view.Pointer, new IRConst(CType.Pointer, 0L)));
                builder.Emit(new IRAssign(view.Offset, new IRConst(CType.I64, 0L)));
                builder.Emit(new IRAssign(view.Length, new IRConst(CType.I32, 0L)));
                break;
            case StructStorage structure:
                foreach (var field in structure.Fields.Values)
                    Zero(field);
                break;
            case ElementStorage:
                throw Fail(currentOffset, "clearing a view element in place (initobj) is not supported; assign default instead");
        }
    }

    private static IRConst ZeroOf(CType type) => type switch
    {
        CType.F32 => new IRConst(type, 0f),
        CType.F64 => new IRConst(type, 0d),
        CType.U8 or CType.U16 or CType.U32 or CType.U64 => new IRConst(type, 0UL),
        _ => new IRConst(type, 0L),
    };

    private static string Describe(StackValue value) => value switch
    {
        ScalarValue scalar => scalar.Type.ToString(),
        ViewValue view => KernelTypes.Describe(view.ViewType),
        StructValue structure => KernelTypes.Describe(structure.Type),
        RefValue => "reference",
        ObjectValue objectValue => $"object of class {KernelTypes.Describe(objectValue.Type)}",
        _ => value.GetType().Name,
    };

    /// <summary>A primitive read from storage, as it appears on the IL stack.</summary>
    private static IRExpr Widen(IRExpr expression)
    {
        var stackType = KernelTypes.StackType(expression.Type);
        return stackType == expression.Type ? expression : new IRConvert(stackType, expression);
    }

    /// <summary>A stack value converted to the type of the storage receiving it.</summary>
    private static IRExpr Narrow(IRExpr expression, CType target)
        => expression.Type == target ? expression : new IRConvert(target, expression);

    private void Push(StackValue value) => stack.Add(value);

    private void Push(IRExpr expression) => stack.Add(new ScalarValue(expression is IRConst or IRVar ? expression : builder.Temp(expression)));

    private StackValue Pop()
    {
        if (stack.Count == 0)
            throw Fail(currentOffset, "the IL stack is empty");
        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private IRExpr PopScalar()
    {
        var value = Pop();
        return value is ScalarValue scalar ? scalar.Expression : throw Fail(currentOffset, $"expected a primitive value, found a {Describe(value)}");
    }

    private RefValue PopReference()
    {
        var value = Pop();
        return value as RefValue ?? throw Fail(currentOffset, $"expected a reference, found a {Describe(value)}");
    }

    /// <summary>A translation error at <paramref name="offset"/> of this method, with its source line when known.</summary>
    public KernelCompilationException Fail(int offset, string reason)
    {
        string chain = callChain.Count > 1 ? $" (reached from {string.Join(" → ", callChain.Take(callChain.Count - 1).Select(KernelTypes.Describe))})" : "";
        return new KernelCompilationException(KernelTypes.Describe(method), offset, SourceLocator.Find(method, offset), reason + chain);
    }
}
