using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>ILGPU's views: <see cref="ILGPU.ArrayView{T}"/> is a pointer, an element offset and a
/// 64-bit length; its indexer returns a reference to the element, which
/// becomes an <see cref="ElementStorage"/> that <c>ldind</c>/<c>stind</c>/<c>ldobj</c>/<c>stobj</c>/<c>ldflda</c>
/// read and write in place. <c>ArrayView2D/3D</c> are structs of a base view, an extent and a stride,
/// flattened like any struct; their indexers compute the element index from the stride's fields.</summary>
internal sealed partial class MethodTranslator
{
    private static bool IsArrayViewND(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() is var definition
        && (definition == typeof(ILGPU.Runtime.ArrayView2D<,>) || definition == typeof(ILGPU.Runtime.ArrayView3D<,>));

    private void ArrayViewMethod(MethodBase callee)
    {
        var viewType = callee.DeclaringType!;
        switch (callee.Name)
        {
            case "get_Item":
            {
                var index = IndexOf(Pop());
                var (pointer, offset) = ViewParts(Pop());
                Push(ElementReference(KernelTypes.ElementOf(viewType), pointer, offset, index));
                break;
            }
            case "get_Length":
                Push(ViewLength(Pop()));
                break;
            case "get_IntLength":
                Push(new IRConvert(CType.I32, ViewLength(Pop())));
                break;
            case "SubView":
            {
                // No range check on a device: like the indexer, a sub-view is trusted.
                bool hasLength = callee.GetParameters().Length == 2;
                var length = hasLength ? Promote(PopScalar(), CType.I64) : null;
                var start = Promote(PopScalar(), CType.I64);
                var view = Pop();
                var (pointer, offset) = ViewParts(view);
                length ??= new IRBinary(CType.I64, BinaryOp.Subtract, ViewLength(view), start);
                var copy = builder.CopyPointer(pointer);
                builder.Emit(new IRAssign(copy, new IRVar(pointer)));
                Push(new ViewValue(viewType, copy, builder.Temp(new IRBinary(CType.I64, BinaryOp.Add, offset, start)), builder.Temp(length)));
                break;
            }
            default:
                throw Fail(currentOffset, $"ArrayView<T>.{callee.Name} is not available on the OpenCL 1.2 engine (it knows the indexers, Length, IntLength and SubView)");
        }
    }

    private void ArrayViewNDMethod(MethodBase callee)
    {
        int dimensions = callee.DeclaringType!.GetGenericTypeDefinition() == typeof(ILGPU.Runtime.ArrayView2D<,>) ? 2 : 3;
        if (callee.Name is "get_Extent" or "get_IntExtent")
        {
            // Extent is the view's LongIndex2D/3D field; IntExtent the same as Index2D/3D.
            var extent = Member(Pop(), "Extent");
            var resultType = ((MethodInfo)callee).ReturnType;
            var fields = new Dictionary<FieldInfo, StackValue>();
            foreach (var field in KernelTypes.InstanceFields(resultType))
            {
                var value = ScalarOf(Member(extent, KernelTypes.FieldName(field)));
                fields[field] = new ScalarValue(KernelTypes.Primitive(field.FieldType) == CType.I32 ? builder.Temp(new IRConvert(CType.I32, value)) : value);
            }
            Push(new StructValue(resultType, fields));
            return;
        }
        if (callee.Name is "get_BaseView" or "get_Stride")
        {
            // Auto-properties: the view's 1D base view and its stride struct, copied as ldfld copies a field.
            var member = Member(Pop(), callee.Name["get_".Length..]);
            Push(member is RefValue { Target: var storage } ? Load(storage) : member);
            return;
        }
        if (callee.Name != "get_Item")
            throw Fail(currentOffset, $"{KernelTypes.Describe(callee.DeclaringType)}.{callee.Name} is not available on the OpenCL 1.2 engine (it knows the indexers, Extent, IntExtent, BaseView and Stride)");
        var coordinates = new IRExpr[dimensions];
        if (callee.GetParameters().Length == 1)
        {
            // Index2D/3D or LongIndex2D/3D: a struct of X, Y (, Z).
            var index = Pop() as StructValue ?? throw Fail(currentOffset, "expected an index struct");
            for (int d = 0; d < dimensions; d++)
                coordinates[d] = IndexOf(index.Fields.Single(f => KernelTypes.FieldName(f.Key) == "XYZ"[d].ToString()).Value);
        }
        else
        {
            for (int d = dimensions - 1; d >= 0; d--)
                coordinates[d] = Promote(PopScalar(), CType.I64);
        }
        var owner = Pop();
        var baseView = Member(owner, "BaseView");
        var stride = Member(owner, "Stride");
        IRExpr elementIndex = new IRConst(CType.I64, 0L);
        for (int d = 0; d < dimensions; d++)
        {
            // A dense dimension's stride is 1 and is no field of the stride struct.
            var term = TryMember(stride, $"{"XYZ"[d]}Stride") is { } strideValue
                ? new IRBinary(CType.I64, BinaryOp.Multiply, coordinates[d], Promote(ScalarOf(strideValue), CType.I64))
                : coordinates[d];
            elementIndex = d == 0 ? term : new IRBinary(CType.I64, BinaryOp.Add, elementIndex, term);
        }
        var (pointer, offset) = ViewParts(baseView);
        Push(ElementReference(callee.DeclaringType.GetGenericArguments()[0], pointer, offset, elementIndex));
    }

    /// <summary>A reference to element <paramref name="index"/>, its offset and index fixed now.</summary>
    private RefValue ElementReference(Type elementType, IRVariable pointer, IRExpr offset, IRExpr index)
        => new(new ElementStorage(elementType, pointer, builder.Temp(offset), builder.Temp(Promote(index, CType.I64)), ""));

    /// <summary>An index argument: an int or long, or ILGPU's Index1D/LongIndex1D (a struct of X).</summary>
    private IRExpr IndexOf(StackValue value) => value switch
    {
        ScalarValue scalar => Promote(scalar.Expression, CType.I64),
        StructValue { Fields.Count: 1 } index => IndexOf(index.Fields.Values.Single()),
        _ => throw Fail(currentOffset, $"expected an index, found a {Describe(value)}"),
    };

    private IRExpr ViewLength(StackValue value) => value switch
    {
        RefValue { Target: ViewStorage view } => Promote(new IRVar(view.Length), CType.I64),
        ViewValue view => Promote(view.Length, CType.I64),
        _ => throw Fail(currentOffset, $"expected a view, found a {Describe(value)}"),
    };

    private IRExpr ScalarOf(StackValue value) => value switch
    {
        ScalarValue scalar => scalar.Expression,
        RefValue { Target: ScalarStorage storage } => new IRVar(storage.Variable),
        _ => throw Fail(currentOffset, $"expected a primitive value, found a {Describe(value)}"),
    };

    /// <summary>The field of a struct value or of the struct a reference points at, by its (property) name.</summary>
    private StackValue Member(StackValue owner, string name)
        => TryMember(owner, name) ?? throw Fail(currentOffset, $"the {Describe(owner)} has no field {name}");

    private StackValue? TryMember(StackValue owner, string name) => owner switch
    {
        StructValue structure => structure.Fields.FirstOrDefault(f => KernelTypes.FieldName(f.Key) == name).Value,
        RefValue { Target: StructStorage structure } => structure.Fields.FirstOrDefault(f => KernelTypes.FieldName(f.Key) == name).Value is { } storage
            ? new RefValue(storage) : null,
        _ => throw Fail(currentOffset, $"expected a struct, found a {Describe(owner)}"),
    };
}
