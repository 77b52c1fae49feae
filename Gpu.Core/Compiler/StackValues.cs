using System.Reflection;

namespace Gpu.Core.Compiler;

// What the translator keeps on its model of the IL evaluation stack, and where IL values live.
// Primitive values are IR expressions (a fresh temporary per push). Views and user structs are
// composites of their leaves, and managed pointers are symbolic references to storage: C never
// sees a struct or a reference, so no address space ever has to be guessed for them.

internal abstract class StackValue;

/// <summary>A primitive value: on the IL stack only I32, I64, F32 and F64 occur.</summary>
internal sealed class ScalarValue(IRExpr expression) : StackValue
{
    public IRExpr Expression { get; } = expression;
    public CType Type => Expression.Type;
}

/// <summary>An ILGPU <see cref="ILGPU.ArrayView{T}"/>: pointer, element offset (I64) and length.</summary>
internal sealed class ViewValue(Type viewType, IRVariable pointer, IRExpr offset, IRExpr length) : StackValue
{
    public Type ViewType { get; } = viewType;
    public IRVariable Pointer { get; } = pointer;
    public IRExpr Offset { get; } = offset;
    public IRExpr Length { get; } = length;
}

/// <summary>A user struct value, field by field.</summary>
internal sealed class StructValue(Type type, IReadOnlyDictionary<FieldInfo, StackValue> fields) : StackValue
{
    public Type Type { get; } = type;
    public IReadOnlyDictionary<FieldInfo, StackValue> Fields { get; } = fields;
}

/// <summary>A managed pointer (<c>ldloca</c>, <c>ldflda</c>, <c>ldarga</c>, <c>this</c>) to storage.</summary>
internal sealed class RefValue(Storage target) : StackValue
{
    public Storage Target { get; } = target;
}

/// <summary>A reference to an object (a static readonly field of a class type): it can only be
/// reported, at the instruction that tries to use it.</summary>
internal sealed class ObjectValue(Type type) : StackValue
{
    public Type Type { get; } = type;
}

/// <summary>Where an IL local, argument, field or join slot lives in C.</summary>
internal abstract class Storage(Type type)
{
    /// <summary>The .NET type stored.</summary>
    public Type Type { get; } = type;
}

internal sealed class ScalarStorage(Type type, IRVariable variable) : Storage(type)
{
    public IRVariable Variable { get; } = variable;
}

internal sealed class ViewStorage(Type type, IRVariable pointer, IRVariable offset, IRVariable length) : Storage(type)
{
    public IRVariable Pointer { get; } = pointer;
    public IRVariable Offset { get; } = offset;
    public IRVariable Length { get; } = length;
}

internal sealed class StructStorage(Type type, IReadOnlyDictionary<FieldInfo, Storage> fields) : Storage(type)
{
    public IReadOnlyDictionary<FieldInfo, Storage> Fields { get; } = fields;
}

/// <summary>One element of a view (or a member of a struct element, <paramref name="member"/> being its
/// C path such as <c>.a.b</c>): what the reference returned by an ILGPU view's indexer points at.</summary>
internal sealed class ElementStorage(Type type, IRVariable pointer, IRExpr offset, IRExpr index, string member) : Storage(type)
{
    public IRVariable Pointer { get; } = pointer;
    public IRExpr Offset { get; } = offset;
    public IRExpr Index { get; } = index;
    public string Member { get; } = member;

    /// <summary>The C type of a primitive element or member as stored in memory, null for a struct.</summary>
    public CType? MemoryType => Member.Length == 0 && Pointer.ElementStruct is null ? Pointer.ElementType
        : Member.Length == 0 ? null : KernelTypes.MemoryType(Type);
}

/// <summary>A ref local or a by-ref argument: bound to the storage it refers to.</summary>
internal sealed class RefStorage(Type type) : Storage(type)
{
    public RefValue? Bound { get; set; }
}

/// <summary>A local whose type cannot live on a device: reported where it is first used, so the
/// message names that line rather than the method's start.</summary>
internal sealed class UnsupportedStorage(Type type, string reason) : Storage(type)
{
    public string Reason { get; } = reason;
}
