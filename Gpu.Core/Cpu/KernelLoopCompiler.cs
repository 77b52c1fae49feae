using System.Reflection;
using System.Reflection.Emit;
using Gpu.Core.Compiler;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core.Cpu;

/// <summary>Builds, once per kernel struct, the CPU engine's loop over a range of indices with the kernel's
/// <c>Execute</c> re-emitted inside it and every call to an ILGPU view indexer (<c>ArrayView&lt;T&gt;[int|long|Index1D|LongIndex1D]</c>,
/// <c>ArrayView2D[Index2D|x, y]</c>, <c>ArrayView3D[Index3D|x, y, z]</c>) replaced by the matching
/// <see cref="CpuViewAccess"/> accessor. ILGPU's host indexer asserts twice per access through calls the JIT
/// cannot remove; the accessors inline to a compare, a load of the buffer's pointer and the access.
/// Methods that <c>Execute</c> calls are not rewritten: views indexed there go through ILGPU's indexer.</summary>
/// <remarks>Each index runs on a fresh copy of the struct and <c>Execute</c>'s locals are cleared for it, as a
/// call would; its index arguments become locals, since IL may store to them. A body the rewrite does not
/// reproduce (exception handlers, <c>localloc</c>, <c>calli</c>, <c>jmp</c>, varargs, access to <c>this</c>'s
/// own slot) is refused with the reason, and the engine runs the kernel through the plain generic loop.</remarks>
internal static class KernelLoopCompiler
{
    // The body grows (ret becomes a branch, ldarg.0 a ldloca), so every branch is re-emitted in its long form.
    private static readonly Dictionary<short, OpCode> LongBranches = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => ((OpCode)field.GetValue(null)!).OperandType == OperandType.ShortInlineBrTarget)
        .ToDictionary(field => ((OpCode)field.GetValue(null)!).Value, field => (OpCode)typeof(OpCodes).GetField(field.Name[..^2])!.GetValue(null)!);

    private static readonly MethodInfo[] Accessors = [.. typeof(CpuViewAccess).GetMethods(BindingFlags.Public | BindingFlags.Static)
        .Where(method => method.Name == nameof(CpuViewAccess.Item))];

    /// <summary>The loop <c>(kernel, start, end)</c> over 1D indices, or the reason it could not be built.</summary>
    public static (Action<TKernel, int, int>? Loop, string? Refusal) Compile1D<TKernel>() where TKernel : struct, IKernel1D
        => Compile<TKernel, Action<TKernel, int, int>>(typeof(IKernel1D), loop => loop(default, 0, 0));

    /// <summary>The loop <c>(kernel, width, startRow, endRow)</c> over rows of 2D points, or the reason it could not be built.</summary>
    public static (Action<TKernel, int, int, int>? Loop, string? Refusal) Compile2D<TKernel>() where TKernel : struct, IKernel2D
        => Compile<TKernel, Action<TKernel, int, int, int>>(typeof(IKernel2D), loop => loop(default, 1, 0, 0));

    /// <summary>The loop <c>(kernel, width, height, startRow, endRow)</c> over rows (y + z·height) of 3D points,
    /// or the reason it could not be built.</summary>
    public static (Action<TKernel, int, int, int, int>? Loop, string? Refusal) Compile3D<TKernel>() where TKernel : struct, IKernel3D
        => Compile<TKernel, Action<TKernel, int, int, int, int>>(typeof(IKernel3D), loop => loop(default, 1, 1, 0, 0));

    private static (TLoop?, string?) Compile<TKernel, TLoop>(Type kernelInterface, Action<TLoop> runEmpty) where TLoop : Delegate
    {
        var kernelType = typeof(TKernel);
        var execute = kernelType.GetInterfaceMap(kernelInterface).TargetMethods.Single();
        var body = execute.GetMethodBody();
        if (body is null)
            return (default, $"{kernelType.Name}.Execute has no IL body");
        if (body.ExceptionHandlingClauses.Count > 0)
            return (default, $"{kernelType.Name}.Execute has exception handlers");
        var parameters = typeof(TLoop).GetMethod("Invoke")!.GetParameters().Select(p => p.ParameterType).ToArray();
        var method = new DynamicMethod($"{kernelType.Name}.Loop", typeof(void), parameters, typeof(KernelLoopCompiler).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var fresh = il.DeclareLocal(kernelType);
        var indexArguments = execute.GetParameters().Select(_ => il.DeclareLocal(typeof(int))).ToArray();
        var locals = body.LocalVariables.Select(local => il.DeclareLocal(local.LocalType, local.IsPinned)).ToArray();
        var rewriter = new BodyRewriter(il, kernelType, fresh, indexArguments, locals);
        string? refusal = EmitLoop(il, indexArguments.Length, indices =>
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Stloc, fresh);
            for (int i = 0; i < indices.Length; i++)
            {
                il.Emit(OpCodes.Ldloc, indices[i]);
                il.Emit(OpCodes.Stloc, indexArguments[i]);
            }
            if (body.InitLocals)
            {
                foreach (var local in locals.Where(local => !local.LocalType.IsByRef))
                {
                    il.Emit(OpCodes.Ldloca, local);
                    il.Emit(OpCodes.Initobj, local.LocalType);
                }
            }
            return rewriter.Emit(ILDecoder.Decode(body.GetILAsByteArray()!), execute.Module);
        });
        if (refusal is not null)
            return (default, $"{kernelType.Name}.Execute: {refusal}");
        var loop = (TLoop)method.CreateDelegate(typeof(TLoop));
        try
        {
            // The JIT compiles the loop at its first call; an empty range makes it refuse here, not at a launch.
            runEmpty(loop);
        }
        catch (Exception e) when (e is InvalidProgramException or BadImageFormatException)
        {
            return (default, $"{kernelType.Name}.Execute: the rewritten loop is invalid IL ({e.Message})");
        }
        return (loop, null);
    }

    /// <summary>Emits the row loop and, per point, <paramref name="body"/> with the point's index locals.</summary>
    private static string? EmitLoop(ILGenerator il, int dimensions, Func<LocalBuilder[], string?> body)
    {
        // Arguments: kernel, then width (2D, 3D), height (3D), then start and end of the range of rows.
        short startArgument = (short)dimensions, endArgument = (short)(dimensions + 1);
        var row = il.DeclareLocal(typeof(int));
        var x = dimensions > 1 ? il.DeclareLocal(typeof(int)) : row;
        var y = dimensions == 3 ? il.DeclareLocal(typeof(int)) : row;
        var z = dimensions == 3 ? il.DeclareLocal(typeof(int)) : null;
        LocalBuilder[] indices = dimensions switch { 1 => [row], 2 => [x, row], _ => [x, y, z!] };
        var rowBody = il.DefineLabel();
        var rowTest = il.DefineLabel();
        il.Emit(OpCodes.Ldarg, startArgument);
        il.Emit(OpCodes.Stloc, row);
        il.Emit(OpCodes.Br, rowTest);
        il.MarkLabel(rowBody);
        string? refusal;
        if (dimensions == 1)
            refusal = body(indices);
        else
        {
            if (dimensions == 3)
            {
                il.Emit(OpCodes.Ldloc, row);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Rem);
                il.Emit(OpCodes.Stloc, y);
                il.Emit(OpCodes.Ldloc, row);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Div);
                il.Emit(OpCodes.Stloc, z!);
            }
            var xBody = il.DefineLabel();
            var xTest = il.DefineLabel();
            il.Emit(OpCodes.Ldc_I4_0);
            il.Emit(OpCodes.Stloc, x);
            il.Emit(OpCodes.Br, xTest);
            il.MarkLabel(xBody);
            refusal = body(indices);
            EmitIncrement(il, x);
            il.MarkLabel(xTest);
            il.Emit(OpCodes.Ldloc, x);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Blt, xBody);
        }
        EmitIncrement(il, row);
        il.MarkLabel(rowTest);
        il.Emit(OpCodes.Ldloc, row);
        il.Emit(OpCodes.Ldarg, endArgument);
        il.Emit(OpCodes.Blt, rowBody);
        il.Emit(OpCodes.Ret);
        return refusal;
    }

    private static void EmitIncrement(ILGenerator il, LocalBuilder local)
    {
        il.Emit(OpCodes.Ldloc, local);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, local);
    }

    /// <summary>The <see cref="CpuViewAccess"/> accessor for a call to <paramref name="method"/>, or null when it
    /// is not a view indexer the CPU engine replaces.</summary>
    internal static MethodInfo? AccessorFor(MethodBase method)
    {
        if (method.Name != "get_Item" || method.DeclaringType is not { IsGenericType: true } view)
            return null;
        var definition = view.GetGenericTypeDefinition();
        if (definition != typeof(ArrayView<>) && definition != typeof(ArrayView2D<,>) && definition != typeof(ArrayView3D<,>))
            return null;
        var indexTypes = method.GetParameters().Select(parameter => parameter.ParameterType).ToArray();
        var viewArguments = view.GetGenericArguments();
        foreach (var accessor in Accessors)
        {
            var parameters = accessor.GetParameters();
            if (parameters[0].ParameterType.GetElementType()!.GetGenericTypeDefinition() != definition
                || accessor.GetGenericArguments().Length != viewArguments.Length)
                continue;
            var closed = accessor.MakeGenericMethod(viewArguments);
            if (closed.GetParameters().Skip(1).Select(parameter => parameter.ParameterType).SequenceEqual(indexTypes))
                return closed;
        }
        return null;
    }

    /// <summary>Re-emits one method body inside the loop: <c>this</c> is the fresh copy, arguments and locals are
    /// the loop's locals, <c>ret</c> ends the point, view indexers become accessors.</summary>
    private sealed class BodyRewriter(ILGenerator il, Type kernelType, LocalBuilder fresh, LocalBuilder[] arguments, LocalBuilder[] locals)
    {
        private readonly Type[]? typeArguments = kernelType.IsGenericType ? kernelType.GetGenericArguments() : null;

        /// <summary>Emits <paramref name="instructions"/>; returns why it could not, or null.</summary>
        public string? Emit(List<ILInstruction> instructions, Module module)
        {
            var labels = instructions.ToDictionary(instruction => instruction.Offset, _ => il.DefineLabel());
            var end = il.DefineLabel();
            foreach (var instruction in instructions)
            {
                il.MarkLabel(labels[instruction.Offset]);
                string? refusal = EmitOne(instruction, module, labels, end);
                if (refusal is not null)
                    return $"{refusal} at IL_{instruction.Offset:x4}";
            }
            il.MarkLabel(end);
            return null;
        }

        private string? EmitOne(ILInstruction instruction, Module module, Dictionary<int, Label> labels, Label end)
        {
            var code = instruction.OpCode;
            if (Variable(code, instruction) is { } variable)
                return EmitVariable(variable.Kind, variable.Index);
            if (code == OpCodes.Ret)
            {
                il.Emit(OpCodes.Br, end);
                return null;
            }
            if (code == OpCodes.Tailcall)
                return null; // The call it prefixes now returns into the loop.
            if (code == OpCodes.Localloc || code == OpCodes.Jmp || code == OpCodes.Calli || code == OpCodes.Arglist)
                return $"{code.Name} is not rewritten";
            switch (code.OperandType)
            {
                case OperandType.InlineNone:
                    il.Emit(code);
                    return null;
                case OperandType.ShortInlineBrTarget:
                    il.Emit(LongBranches[code.Value], labels[instruction.Target]);
                    return null;
                case OperandType.InlineBrTarget:
                    il.Emit(code, labels[instruction.Target]);
                    return null;
                case OperandType.InlineSwitch:
                    il.Emit(code, [.. instruction.Targets.Select(target => labels[target])]);
                    return null;
                case OperandType.ShortInlineI when code == OpCodes.Ldc_I4_S:
                    il.Emit(code, (sbyte)(long)instruction.Operand!);
                    return null;
                case OperandType.ShortInlineI:
                    il.Emit(code, (byte)instruction.Operand!);
                    return null;
                case OperandType.InlineI:
                    il.Emit(code, instruction.Int);
                    return null;
                case OperandType.InlineI8:
                    il.Emit(code, (long)instruction.Operand!);
                    return null;
                case OperandType.ShortInlineR:
                    il.Emit(code, (float)instruction.Operand!);
                    return null;
                case OperandType.InlineR:
                    il.Emit(code, (double)instruction.Operand!);
                    return null;
                case OperandType.InlineString:
                    il.Emit(code, module.ResolveString(instruction.Int));
                    return null;
                case OperandType.InlineType:
                    il.Emit(code, module.ResolveType(instruction.Int, typeArguments, null));
                    return null;
                case OperandType.InlineField:
                    il.Emit(code, module.ResolveField(instruction.Int, typeArguments, null)!);
                    return null;
                case OperandType.InlineMethod:
                    return EmitMethod(code, module.ResolveMethod(instruction.Int, typeArguments, null)!);
                case OperandType.InlineTok:
                    switch (module.ResolveMember(instruction.Int, typeArguments, null))
                    {
                        case Type type: il.Emit(code, type); return null;
                        case FieldInfo field: il.Emit(code, field); return null;
                        case MethodInfo method: il.Emit(code, method); return null;
                        case ConstructorInfo constructor: il.Emit(code, constructor); return null;
                        default: return "ldtoken of an unknown member";
                    }
                default:
                    return $"{code.Name} ({code.OperandType}) is not rewritten";
            }
        }

        private string? EmitMethod(OpCode code, MethodBase method)
        {
            if (method.CallingConvention.HasFlag(CallingConventions.VarArgs))
                return "a varargs call is not rewritten";
            if (code == OpCodes.Call && AccessorFor(method) is { } accessor)
            {
                il.Emit(OpCodes.Call, accessor);
                return null;
            }
            if (method is ConstructorInfo constructor)
                il.Emit(code, constructor);
            else
                il.Emit(code, (MethodInfo)method);
            return null;
        }

        private string? EmitVariable(VariableKind kind, int index)
        {
            if (kind is VariableKind.LoadArgument or VariableKind.ArgumentAddress or VariableKind.StoreArgument)
            {
                if (index == 0)
                {
                    if (kind != VariableKind.LoadArgument)
                        return "an access to this's own argument slot is not rewritten";
                    il.Emit(OpCodes.Ldloca, fresh);
                    return null;
                }
                EmitLocal(kind, arguments[index - 1]);
                return null;
            }
            EmitLocal(kind, locals[index]);
            return null;
        }

        private void EmitLocal(VariableKind kind, LocalBuilder local)
            => il.Emit(kind switch
            {
                VariableKind.LoadArgument or VariableKind.LoadLocal => OpCodes.Ldloc,
                VariableKind.ArgumentAddress or VariableKind.LocalAddress => OpCodes.Ldloca,
                _ => OpCodes.Stloc,
            }, local);

        private static readonly Dictionary<short, VariableKind> WithOperand = new()
        {
            [OpCodes.Ldarg_S.Value] = VariableKind.LoadArgument, [OpCodes.Ldarg.Value] = VariableKind.LoadArgument,
            [OpCodes.Ldarga_S.Value] = VariableKind.ArgumentAddress, [OpCodes.Ldarga.Value] = VariableKind.ArgumentAddress,
            [OpCodes.Starg_S.Value] = VariableKind.StoreArgument, [OpCodes.Starg.Value] = VariableKind.StoreArgument,
            [OpCodes.Ldloc_S.Value] = VariableKind.LoadLocal, [OpCodes.Ldloc.Value] = VariableKind.LoadLocal,
            [OpCodes.Ldloca_S.Value] = VariableKind.LocalAddress, [OpCodes.Ldloca.Value] = VariableKind.LocalAddress,
            [OpCodes.Stloc_S.Value] = VariableKind.StoreLocal, [OpCodes.Stloc.Value] = VariableKind.StoreLocal,
        };

        // The forms with the number in the opcode (ldarg.0 … ldarg.3 and so on) have consecutive values.
        private static readonly (OpCode First, OpCode Last, VariableKind Kind)[] Numbered =
            [(OpCodes.Ldarg_0, OpCodes.Ldarg_3, VariableKind.LoadArgument), (OpCodes.Ldloc_0, OpCodes.Ldloc_3, VariableKind.LoadLocal),
             (OpCodes.Stloc_0, OpCodes.Stloc_3, VariableKind.StoreLocal)];

        private static (VariableKind Kind, int Index)? Variable(OpCode code, ILInstruction instruction)
        {
            if (WithOperand.TryGetValue(code.Value, out var kind))
                return (kind, instruction.Int);
            foreach (var (first, last, numberedKind) in Numbered)
            {
                if (code.Value >= first.Value && code.Value <= last.Value)
                    return (numberedKind, code.Value - first.Value);
            }
            return null;
        }
    }

    private enum VariableKind { LoadArgument, ArgumentAddress, StoreArgument, LoadLocal, LocalAddress, StoreLocal }
}
