using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>Turns a kernel struct into its entry point's IR: the struct's fields become
/// parameters (views as pointer, offset and length; nested structs flattened), the indices come
/// from the device's index registers, and <c>Execute</c> is translated with everything it calls.</summary>
internal static class KernelTranslator
{
    private static readonly string[] Axes = ["x", "y", "z"];

    public sealed record Result(IRFunction Function, IReadOnlyList<IRFunction> DeviceFunctions, IReadOnlyList<KernelParameter> Parameters, int SharedMemoryBytes)
    {
        public bool UsesDouble => Function.UsesDouble || DeviceFunctions.Any(f => f.UsesDouble);
    }

    public static Result Translate(Type kernelType, KernelShape shape, KernelCompileOptions options)
    {
        var execute = FindExecute(kernelType, shape);
        string entryPoint = KernelCompiler.EntryPointName(kernelType, options);
        var builder = new FunctionBuilder(shape, new DeviceFunctions(), new IRFunction(entryPoint), entryPoint);
        var parameters = new List<KernelParameter>();
        var kernel = Flatten(kernelType, [], "p", builder, parameters,
            reason => new KernelCompilationException(KernelTypes.Describe(execute), 0, SourceLocator.Find(execute, 0), $"the kernel's fields cannot be passed to a device: {reason}"));
        builder.Current = builder.NewBlock("entry");
        FoldViewOffsets(builder, kernel);

        int dimensions = shape switch { KernelShape.OneD => 1, KernelShape.TwoD => 2, KernelShape.ThreeD => 3, _ => 0 };
        var indices = new List<StackValue>();
        for (int d = 0; d < dimensions; d++)
            indices.Add(new ScalarValue(builder.Temp(new IRIndex(IndexKind.GlobalId, d))));
        if (options.Guarded && dimensions > 0)
            Guard(builder, parameters, indices);

        new MethodTranslator(builder, execute, [new RefValue(kernel), .. indices], null, []).Translate();
        return new Result(builder.Function, builder.Functions.InOrder, parameters, builder.SharedMemoryBytes);
    }

    /// <summary>Moves each view parameter's pointer to its first element once and zeroes its offset,
    /// so every access <c>p[offset + i]</c> reduces to <c>p[i]</c> in the C compiler: no 64-bit
    /// offset add per access, and a consecutive index stays visibly consecutive to the vectoriser.</summary>
    private static void FoldViewOffsets(FunctionBuilder builder, Storage storage)
    {
        switch (storage)
        {
            case ViewStorage view:
                builder.Emit(new IRAssign(view.Pointer, new IRBinary(CType.Pointer, BinaryOp.Add, new IRVar(view.Pointer), new IRVar(view.Offset))));
                builder.Emit(new IRAssign(view.Offset, new IRConst(CType.I64, 0L)));
                break;
            case StructStorage structure:
                foreach (var field in structure.Fields.Values)
                    FoldViewOffsets(builder, field);
                break;
        }
    }

    /// <summary>Threads past the extent (the launch was rounded up to whole groups) return at once.</summary>
    private static void Guard(FunctionBuilder builder, List<KernelParameter> parameters, List<StackValue> indices)
    {
        var outside = builder.NewBlock("outside_extent");
        outside.Statements.Add(new IRReturn());
        for (int d = 0; d < indices.Count; d++)
        {
            string name = $"gpuc_extent_{Axes[d]}";
            var limit = builder.NewParameter(name, CType.I32);
            parameters.Add(new KernelParameter(name, KernelParameterKind.ExtentLimit, typeof(int), []));
            var inside = builder.NewBlock("inside_extent");
            var index = ((ScalarValue)indices[d]).Expression;
            var beyond = builder.Temp(new IRBinary(CType.I32, BinaryOp.GreaterOrEqual, index, new IRVar(limit)));
            builder.Emit(new IRBranch(beyond, outside, inside));
            builder.Current = inside;
        }
    }

    private static MethodInfo FindExecute(Type kernelType, KernelShape shape)
    {
        var contract = shape switch
        {
            KernelShape.OneD => typeof(IKernel1D),
            KernelShape.TwoD => typeof(IKernel2D),
            KernelShape.ThreeD => typeof(IKernel3D),
            _ => typeof(IGroupKernel),
        };
        if (!kernelType.IsValueType || !contract.IsAssignableFrom(kernelType))
            throw new KernelCompilationException(KernelTypes.Describe(kernelType), 0, null, $"a kernel must be a struct implementing {contract.Name}");
        if (kernelType.ContainsGenericParameters)
            throw new KernelCompilationException(KernelTypes.Describe(kernelType), 0, null, "an open generic kernel type cannot be compiled; close its type arguments");
        var map = kernelType.GetInterfaceMap(contract);
        return map.TargetMethods[0];
    }

    /// <summary>Makes one parameter per primitive leaf of the struct, in field declaration order.</summary>
    private static StructStorage Flatten(Type type, IReadOnlyList<FieldInfo> path, string name, FunctionBuilder builder,
        List<KernelParameter> parameters, Func<string, Exception> unsupported)
    {
        var fields = new Dictionary<FieldInfo, Storage>();
        foreach (var field in KernelTypes.InstanceFields(type))
        {
            IReadOnlyList<FieldInfo> fieldPath = [.. path, field];
            string fieldName = $"{name}_{KernelTypes.FieldName(field)}";
            var fieldType = field.FieldType;
            if (KernelTypes.IsView(fieldType))
            {
                var element = KernelTypes.ElementOf(fieldType);
                var pointer = builder.NewPointer(fieldName, element, new PointerSpace(AddressSpace.Global), parameter: true, unsupported);
                var offset = builder.NewParameter(fieldName + "_offset", CType.I64);
                var length = builder.NewParameter(fieldName + "_length", CType.I64);
                var (handleField, offsetField, lengthField) = KernelTypes.ViewFields(fieldType);
                parameters.Add(new KernelParameter(pointer.Name, KernelParameterKind.ViewHandle, element, [.. fieldPath, handleField]));
                parameters.Add(new KernelParameter(offset.Name, KernelParameterKind.ViewOffset, typeof(long), [.. fieldPath, offsetField]));
                parameters.Add(new KernelParameter(length.Name, KernelParameterKind.ViewLength, typeof(long), [.. fieldPath, lengthField]));
                fields[field] = new ViewStorage(fieldType, pointer, offset, length);
            }
            else if (KernelTypes.Primitive(fieldType) is { } primitive)
            {
                var variable = builder.NewParameter(fieldName, primitive);
                parameters.Add(new KernelParameter(variable.Name, KernelParameterKind.Scalar, fieldType, fieldPath));
                fields[field] = new ScalarStorage(fieldType, variable);
            }
            else if (KernelTypes.IsUserStruct(fieldType))
            {
                fields[field] = Flatten(fieldType, fieldPath, fieldName, builder, parameters, unsupported);
            }
            else
            {
                throw unsupported($"the field {field.Name} has type {KernelTypes.Describe(fieldType)}; only views, primitives and structs of those can be kernel fields");
            }
        }
        return new StructStorage(type, fields);
    }
}
