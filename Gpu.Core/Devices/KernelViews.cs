using System.Reflection;
using System.Runtime.CompilerServices;
using Gpu.Core.Compiler;

namespace Gpu.Core;

/// <summary>The <see cref="View{T}"/> fields of a kernel struct (nested structs included), found once
/// per type, and the check every launch makes of them: a kernel handed a view of a disposed buffer or
/// of another accelerator would otherwise read freed or foreign memory on the CPU, or pass a dead
/// <c>cl_mem</c> to the driver.</summary>
internal static class KernelViews<TKernel> where TKernel : struct
{
    private static readonly (int Offset, string Name)[] views = Find();

    /// <summary>Checks each non-empty view field against <paramref name="accelerator"/>'s live buffers.</summary>
    public static void Check(Accelerator accelerator, in TKernel kernel)
    {
        if (views.Length == 0)
            return;
        ref byte start = ref Unsafe.As<TKernel, byte>(ref Unsafe.AsRef(in kernel));
        foreach (var (offset, name) in views)
        {
            // Every View<T> has the same layout, so any one reads the handle fields of all.
            var view = Unsafe.ReadUnaligned<View<byte>>(ref Unsafe.Add(ref start, offset));
            if (view.Length != 0)
                accelerator.CheckAllocation(view.Allocation, name);
        }
    }

    private static (int, string)[] Find()
    {
        var paths = new List<IReadOnlyList<FieldInfo>>();
        Collect(typeof(TKernel), [], paths);
        int[] offsets = FieldOffsets.Of(typeof(TKernel), paths);
        return [.. paths.Select((path, i) => (offsets[i], $"{typeof(TKernel).Name}.{string.Join('.', path.Select(f => KernelTypes.FieldName(f)))}"))];
    }

    private static void Collect(Type type, IReadOnlyList<FieldInfo> path, List<IReadOnlyList<FieldInfo>> paths)
    {
        foreach (var field in KernelTypes.InstanceFields(type))
        {
            var fieldType = field.FieldType;
            if (KernelTypes.IsView(fieldType))
                paths.Add([.. path, field]);
            else if (fieldType.IsValueType && !fieldType.IsPrimitive && !fieldType.IsEnum && !fieldType.IsPointer)
                Collect(fieldType, [.. path, field], paths);
        }
    }
}
