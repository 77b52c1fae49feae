namespace Gpu.Core.Compiler;

// The typed IR between the IL reader and the C emitter: a function is a list of labelled basic
// blocks of statements over typed variables. Every IL stack push becomes its own variable, so
// expressions are one level deep and C's evaluation order never matters. Nothing here is
// dialect-specific: the emitter maps intrinsics, helpers and address spaces through CDialect.

/// <summary>The C value types the IR knows; bool is I32, char U16, native ints 64-bit.</summary>
internal enum CType { I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, Pointer }

/// <summary>Where a pointer points.</summary>
internal enum AddressSpace { Global, Shared }

/// <summary>The address space of pointer variables, unified as pointers are copied (union-find),
/// because a view local's space is only known from what is stored in it.</summary>
internal sealed class PointerSpace
{
    private PointerSpace? parent;
    private AddressSpace? space;

    public PointerSpace(AddressSpace? space = null) => this.space = space;

    private PointerSpace Root() => parent is null ? this : parent = parent.Root();

    /// <summary>The space, or global when nothing ever fixed it (a view never assigned).</summary>
    public AddressSpace Resolved => Root().space ?? AddressSpace.Global;

    /// <summary>Makes both the same space; false when they are already known to differ.</summary>
    public bool Unify(PointerSpace other)
    {
        var a = Root();
        var b = other.Root();
        if (ReferenceEquals(a, b))
            return true;
        if (a.space is { } sa && b.space is { } sb && sa != sb)
            return false;
        b.space ??= a.space;
        a.parent = b;
        return true;
    }
}

/// <summary>A C variable: a kernel parameter, a local, a join slot or a temporary.</summary>
internal sealed class IRVariable(string name, CType type)
{
    public string Name { get; } = name;
    public CType Type { get; } = type;
    /// <summary>For pointers: the element type (as stored in memory: bool is one byte).</summary>
    public CType ElementType { get; init; }
    /// <summary>For pointers to user structs: the struct (then <see cref="ElementType"/> is unused).</summary>
    public Type? ElementStruct { get; init; }
    /// <summary>For pointers: the address space.</summary>
    public PointerSpace Space { get; init; } = new();
    /// <summary>For statically sized shared arrays: their length (the variable is the array).</summary>
    public int SharedArrayLength { get; init; } = -1;
    /// <summary>Entry point parameters are declared in the signature, not the body.</summary>
    public bool IsParameter { get; init; }

    public override string ToString() => Name;
}

/// <summary>A one-level expression.</summary>
internal abstract record IRExpr(CType Type);

internal sealed record IRVar(IRVariable Variable) : IRExpr(Variable.Type);

/// <summary>A literal: long for signed, ulong for unsigned, float, double.</summary>
internal sealed record IRConst(CType Type, object Value) : IRExpr(Type);

internal enum UnaryOp { Negate, BitwiseNot, LogicalNot }

internal sealed record IRUnary(CType Type, UnaryOp Op, IRExpr Operand) : IRExpr(Type);

internal enum BinaryOp { Add, Subtract, Multiply, Divide, Remainder, And, Or, Xor, ShiftLeft, ShiftRight, Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual }

internal sealed record IRBinary(CType Type, BinaryOp Op, IRExpr Left, IRExpr Right) : IRExpr(Type);

/// <summary>A C cast between value types, only where C defines it (the translator guards the rest).</summary>
internal sealed record IRConvert(CType Type, IRExpr Operand) : IRExpr(Type);

/// <summary>Reinterprets the bits of a 32- or 64-bit value as the other type of the same size.</summary>
internal sealed record IRBitCast(CType Type, IRExpr Operand) : IRExpr(Type);

/// <summary>A call of a prelude helper (<c>gpuc_*</c>) or an OpenCL C maths function.</summary>
internal sealed record IRCall(CType Type, string Function, IRExpr[] Arguments) : IRExpr(Type);

internal enum IndexKind { GlobalId, GroupId, LocalId, LocalSize, GroupCount }

internal sealed record IRIndex(IndexKind Kind, int Dimension) : IRExpr(CType.I32);

/// <summary><c>pointer[offset + index]</c>, or a member of a struct element (<see cref="Member"/> like <c>.Position.X</c>).</summary>
internal sealed record IRLoad(CType Type, IRVariable Pointer, IRExpr Offset, IRExpr Index, string Member = "") : IRExpr(Type);

internal enum AtomicOp { Add, Min, Max, Exchange, CompareExchange }

/// <summary>An atomic on <c>pointer[offset + index]</c>, yielding the previous value.</summary>
internal sealed record IRAtomic(CType Type, AtomicOp Op, IRVariable Pointer, IRExpr Offset, IRExpr Index, IRExpr[] Operands) : IRExpr(Type);

internal abstract record IRStatement;

internal sealed record IRAssign(IRVariable Target, IRExpr Value) : IRStatement;

internal sealed record IRStore(IRVariable Pointer, IRExpr Offset, IRExpr Index, IRExpr Value, string Member = "") : IRStatement;

/// <summary>An expression kept for its effect (an atomic whose result is dropped).</summary>
internal sealed record IREvaluate(IRExpr Value) : IRStatement;

internal sealed record IRBarrier : IRStatement;

internal sealed record IRGoto(IRBlock Target) : IRStatement;

internal sealed record IRBranch(IRExpr Condition, IRBlock IfTrue, IRBlock IfFalse) : IRStatement;

internal sealed record IRSwitch(IRExpr Value, IRBlock[] Cases, IRBlock Default) : IRStatement;

/// <summary>Returns from the function, with a value in a device function that has one.</summary>
internal sealed record IRReturn(IRExpr? Value = null) : IRStatement;

/// <summary>A labelled basic block; it ends in a jump or return.</summary>
internal sealed class IRBlock(string label)
{
    public string Label { get; } = label;
    public List<IRStatement> Statements { get; } = [];
}

/// <summary>A C function in IR: the kernel entry point or a device function.</summary>
internal sealed class IRFunction(string name)
{
    public string Name { get; } = name;
    /// <summary>A device function's result type; null for void (and for the kernel).</summary>
    public CType? ReturnType { get; init; }
    public List<IRVariable> Parameters { get; } = [];
    public List<IRVariable> Variables { get; } = [];
    public List<IRBlock> Blocks { get; } = [];
    public bool UsesDouble { get; set; }
}

/// <summary>The device functions of one translation unit: each static method called with only
/// primitive arguments becomes one, translated once; callees come before their callers.</summary>
internal sealed class DeviceFunctions
{
    /// <summary>Per method: its function, or null when it must be expanded in the kernel instead
    /// (it declares shared memory, which OpenCL allows only at kernel scope).</summary>
    public Dictionary<System.Reflection.MethodBase, IRFunction?> ByMethod { get; } = [];
    public List<IRFunction> InOrder { get; } = [];
    public int NextId { get; set; }
}
