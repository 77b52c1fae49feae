using System.Reflection;
using System.Reflection.Emit;

namespace Gpu.Core.Compiler;

/// <summary>Byte offsets of (nested) fields inside a struct's managed layout, found once per struct
/// type so that a launch can read field values in place.</summary>
internal static class FieldOffsets
{
    /// <summary>The offset of the field each path ends at; an empty path is offset 0.</summary>
    /// <param name="type">The struct type the paths start from.</param>
    /// <param name="paths">Field chains, each field a field of the previous one's type.</param>
    public static int[] Of(Type type, IReadOnlyList<IReadOnlyList<FieldInfo>> paths)
    {
        // .NET has no public API for a field's offset in the managed layout (Marshal.OffsetOf gives
        // the marshalled one, which differs for bool, char and auto layout), so a method emitted
        // once takes the address of each field path inside a local and subtracts the local's.
        var method = new DynamicMethod($"{type.Name}_FieldOffsets", typeof(void), [typeof(int[])], type.Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var local = il.DeclareLocal(type);
        for (int p = 0; p < paths.Count; p++)
        {
            if (paths[p].Count == 0)
                continue;
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I4, p);
            il.Emit(OpCodes.Ldloca, local);
            foreach (var field in paths[p])
                il.Emit(OpCodes.Ldflda, field);
            il.Emit(OpCodes.Ldloca, local);
            il.Emit(OpCodes.Sub);
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Stelem_I4);
        }
        il.Emit(OpCodes.Ret);
        var offsets = new int[paths.Count];
        method.CreateDelegate<Action<int[]>>()(offsets);
        return offsets;
    }
}
