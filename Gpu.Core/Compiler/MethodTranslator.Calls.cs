using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>Calls: intrinsics become IR; static methods (generic ones per instantiation) whose
/// parameters and result are primitives become device functions; the other user methods (struct
/// instance methods and constructors, methods taking views, structs or refs, and any that declare
/// shared memory) are expanded in place, so views keep one address space each and shared arrays
/// sit at kernel scope, as OpenCL 1.2 requires; anything else is reported.</summary>
internal sealed partial class MethodTranslator
{
    private void Call(ILInstruction instruction, MethodBase callee, bool isVirtual, Type? constrained)
    {
        if (constrained is not null)
            callee = ResolveConstrained(constrained, callee);
        if (TryIntrinsic(callee))
            return;
        var declaring = callee.DeclaringType!;
        if (!callee.IsStatic && !declaring.IsValueType)
            throw Fail(instruction.Offset, isVirtual && callee.IsVirtual
                ? $"the virtual call {KernelTypes.Describe(callee)} needs an object, and objects cannot be used on a device"
                : $"the instance call {KernelTypes.Describe(callee)} on a class needs an object, and objects cannot be used on a device");
        if (IsFramework(declaring) && !IsTupleConstructor(callee))
            throw Fail(instruction.Offset, $"the .NET method {KernelTypes.Describe(callee)} is not supported on devices (no device intrinsic maps it)");
        if (callee.GetMethodBody() is null)
            throw Fail(instruction.Offset, $"{KernelTypes.Describe(callee)} has no IL body (it is external, abstract or implemented by the runtime)");
        if (callee is MethodInfo { ReturnType.IsByRef: true })
            throw Fail(instruction.Offset, $"{KernelTypes.Describe(callee)} returns a reference; ref returns are not supported on devices");
        if (callChain.Any(m => m.MetadataToken == callee.MetadataToken && m.Module == callee.Module))
            throw Fail(instruction.Offset, $"{KernelTypes.Describe(callee)} is called recursively; recursion cannot run on a device");
        if (TryCallDeviceFunction(callee))
            return;
        var values = PopArguments(callee.GetParameters().Length + (callee.IsStatic ? 0 : 1));
        Expand(callee, values);
    }

    /// <summary>Thrown while translating a device function that must live in the kernel instead.</summary>
    private sealed class NeedsKernelScope : Exception;

    /// <summary>Static methods of primitive parameters and result are C functions of their own;
    /// the rest (struct instance methods, views, refs, structs) are expanded in place.</summary>
    private static bool HasDeviceFunctionSignature(MethodBase callee)
        => callee is MethodInfo { IsStatic: true } info
            && (info.ReturnType == typeof(void) || KernelTypes.Primitive(info.ReturnType) is not null)
            && info.GetParameters().All(p => !p.ParameterType.IsByRef && KernelTypes.Primitive(p.ParameterType) is not null);

    private bool TryCallDeviceFunction(MethodBase callee)
    {
        if (!HasDeviceFunctionSignature(callee))
            return false;
        var functions = builder.Functions;
        if (!functions.ByMethod.TryGetValue(callee, out var function))
        {
            function = TranslateDeviceFunction((MethodInfo)callee);
            functions.ByMethod[callee] = function;
        }
        if (function is null)
            return false;
        var arguments = new IRExpr[function.Parameters.Count];
        for (int i = arguments.Length - 1; i >= 0; i--)
            arguments[i] = Narrow(PopScalar(), function.Parameters[i].Type);
        if (function.ReturnType is { } type)
            Push(Widen(new IRCall(type, function.Name, arguments)));
        else
            builder.Emit(new IREvaluate(new IRCall(CType.I32, function.Name, arguments)));
        return true;
    }

    private IRFunction? TranslateDeviceFunction(MethodInfo callee)
    {
        var functions = builder.Functions;
        // Named after the kernel too, so translation units can be combined (the clang test does).
        var function = new IRFunction($"{builder.KernelName}_fn{functions.NextId++}_{KernelTypes.Identifier(callee.Name)}")
        {
            ReturnType = callee.ReturnType == typeof(void) ? null : KernelTypes.Primitive(callee.ReturnType),
        };
        var inner = new FunctionBuilder(builder.Shape, functions, function, builder.KernelName);
        var parameters = callee.GetParameters()
            .Select((p, i) => (StackValue)new ScalarValue(new IRVar(inner.NewParameter($"p{i}", KernelTypes.Primitive(p.ParameterType)!.Value))))
            .ToList();
        inner.Current = inner.NewBlock("entry");
        try
        {
            new MethodTranslator(inner, callee, parameters, null, callChain).Translate();
        }
        catch (NeedsKernelScope)
        {
            return null;
        }
        functions.InOrder.Add(function);
        return function;
    }

    private void NewObject(ILInstruction instruction, MethodBase constructor)
    {
        var type = constructor.DeclaringType!;
        if (typeof(Exception).IsAssignableFrom(type))
            throw Fail(instruction.Offset, $"new {KernelTypes.Describe(type)} creates an exception to throw, and throwing exceptions cannot run on a device");
        if (!type.IsValueType)
            throw Fail(instruction.Offset, $"new {KernelTypes.Describe(type)} allocates an object, and object allocation cannot run on a device");
        if (KernelTypes.IsView(type) || IsFramework(type) && !IsTupleConstructor(constructor))
            throw Fail(instruction.Offset, $"new {KernelTypes.Describe(type)} cannot be made on a device; pass it in as a kernel field");
        var storage = Allocate(type, "n");
        Zero(storage);
        var values = PopArguments(constructor.GetParameters().Length);
        Expand(constructor, [new RefValue(storage), .. values]);
        Push(Load(storage));
    }

    private List<StackValue> PopArguments(int count)
    {
        var values = new StackValue[count];
        for (int i = count - 1; i >= 0; i--)
            values[i] = Pop();
        return [.. values];
    }

    /// <summary>Translates <paramref name="callee"/> in place: arguments into fresh storage, its
    /// <c>ret</c>s into a jump to a new block where this method continues.</summary>
    private void Expand(MethodBase callee, IReadOnlyList<StackValue> values)
    {
        var returnType = callee is MethodInfo info ? info.ReturnType : typeof(void);
        var result = returnType == typeof(void) ? null : Allocate(returnType, "r");
        var continuation = builder.NewBlock($"{KernelTypes.Identifier(callee.Name)}_return");
        new MethodTranslator(builder, callee, values, new ReturnTarget(result, continuation), callChain).Translate();
        builder.Current = continuation;
        if (result is not null)
            Push(Load(result));
    }

    /// <summary>The method a <c>constrained.</c> call reaches on a struct type.</summary>
    private MethodBase ResolveConstrained(Type constrained, MethodBase callee)
    {
        if (!constrained.IsValueType)
            throw Fail(currentOffset, $"a call through the reference type {KernelTypes.Describe(constrained)} needs an object, and objects cannot be used on a device");
        var declaring = callee.DeclaringType!;
        if (declaring.IsInterface)
        {
            var definition = callee is MethodInfo { IsGenericMethod: true } generic ? generic.GetGenericMethodDefinition() : callee;
            var map = constrained.GetInterfaceMap(declaring);
            for (int i = 0; i < map.InterfaceMethods.Length; i++)
            {
                if (map.InterfaceMethods[i].MetadataToken != definition.MetadataToken)
                    continue;
                var target = map.TargetMethods[i];
                return callee is MethodInfo { IsGenericMethod: true } ? target.MakeGenericMethod(callee.GetGenericArguments()) : target;
            }
        }
        else if (declaring == constrained)
        {
            return callee;
        }
        throw Fail(currentOffset, $"{KernelTypes.Describe(callee)} on {KernelTypes.Describe(constrained)} boxes the struct, which cannot run on a device");
    }

    /// <summary>Value tuples are plain structs whose constructors only store their fields: C#
    /// tuples (returning two values, swaps) expand like user structs.</summary>
    private static bool IsTupleConstructor(MethodBase method)
        => method is ConstructorInfo && method.DeclaringType is { IsValueType: true, IsGenericType: true } type
            && type.GetGenericTypeDefinition().FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal);

    /// <summary>Methods of the .NET libraries run on devices only through the intrinsics table.</summary>
    private static bool IsFramework(Type type)
    {
        var assembly = type.Assembly;
        if (assembly == typeof(object).Assembly)
            return true;
        string name = assembly.GetName().Name ?? "";
        return name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal) || name == "netstandard" || name == "mscorlib";
    }
}
