using System.Reflection;
using System.Reflection.Emit;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Ilgpu;

/// <summary>What a method's IL names: the methods it calls, constructs with or takes the address of, and the
/// types its type-token instructions name (<c>initobj</c>, <c>box</c>, <c>ldtoken</c> …), resolved in the
/// method's generic context; and the same for every method reached through those calls that the caller
/// chooses to follow. Used to tell which kernels a piece of host code launches.</summary>
internal static class ILReferences
{
    /// <summary>The methods and types <paramref name="method"/>'s body names; none for a method without IL.
    /// Tokens that do not resolve in the method's context are skipped.</summary>
    public static IEnumerable<MemberInfo> Of(MethodBase method)
    {
        if (method.GetMethodBody()?.GetILAsByteArray() is not { } il)
            yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments() : null;
        foreach (var instruction in ILDecoder.Decode(il))
        {
            MemberInfo? member;
            try
            {
                member = instruction.OpCode.OperandType switch
                {
                    OperandType.InlineMethod => method.Module.ResolveMethod(instruction.Int, typeArguments, methodArguments),
                    OperandType.InlineType => method.Module.ResolveType(instruction.Int, typeArguments, methodArguments),
                    _ => null,
                };
            }
            catch (ArgumentException)
            {
                continue;
            }
            if (member is not null)
                yield return member;
        }
    }

    /// <summary>The references of <paramref name="root"/> and of every method reached from it through
    /// referenced methods that <paramref name="follow"/> accepts, each method read once.</summary>
    public static IEnumerable<MemberInfo> Reachable(MethodBase root, Func<MethodBase, bool> follow)
    {
        var seen = new HashSet<MethodBase> { root };
        var pending = new Stack<MethodBase>([root]);
        while (pending.TryPop(out var method))
            foreach (var member in Of(method))
            {
                yield return member;
                if (member is MethodBase callee && follow(callee) && seen.Add(callee))
                    pending.Push(callee);
            }
    }
}
