using System.Reflection;
using System.Runtime.CompilerServices;
using Gpu.Core.Compiler;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The view fields of a kernel struct (<see cref="View{T}"/>s and ILGPU
/// <see cref="ILGPU.ArrayView{T}"/>s, nested structs included), found once per type, and the check
/// every launch makes of them: a kernel handed a view of a disposed buffer or of another accelerator
/// would otherwise read freed or foreign memory on the CPU, or pass a dead <c>cl_mem</c> to the driver.</summary>
internal static class KernelViews<TKernel> where TKernel : struct
{
    private static readonly (int Offset, int LengthOffset, bool IsArrayView, string Name)[] views = Find();

    /// <summary>The first field (its path) that is one of the project's own views rather than ILGPU's, or null.</summary>
    public static string? ProjectView { get; } = views.FirstOrDefault(v => !v.IsArrayView).Name;

    /// <summary>Checks each non-empty view field against <paramref name="accelerator"/>'s live buffers.</summary>
    public static void Check(Accelerator accelerator, in TKernel kernel)
    {
        if (views.Length == 0)
            return;
        ref byte start = ref Unsafe.As<TKernel, byte>(ref Unsafe.AsRef(in kernel));
        foreach (var (offset, lengthOffset, isArrayView, name) in views)
        {
            if (isArrayView)
            {
                // An ILGPU view is known by its buffer, which a DeviceBuffer registered.
                if (Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref start, lengthOffset)) != 0)
                    accelerator.CheckAllocation(Allocations.SourceOf(Unsafe.As<byte, MemoryBuffer?>(ref Unsafe.Add(ref start, offset))), name);
                continue;
            }
            // Every View<T> has the same layout, so any one reads the handle fields of all.
            var view = Unsafe.ReadUnaligned<View<byte>>(ref Unsafe.Add(ref start, offset));
            if (view.Length != 0)
                accelerator.CheckAllocation(view.Allocation, name);
        }
    }

    private static (int, int, bool, string)[] Find()
    {
        var paths = new List<IReadOnlyList<FieldInfo>>();
        Collect(typeof(TKernel), [], paths);
        // An ILGPU view is read at its buffer field and its length field; a View<T> as a whole.
        var readPaths = paths.SelectMany(path => KernelTypes.IsArrayView(path[^1].FieldType)
            ? [[.. path, KernelTypes.ViewFields(path[^1].FieldType).Handle], [.. path, KernelTypes.ViewFields(path[^1].FieldType).Length]]
            : new IReadOnlyList<FieldInfo>[] { path, path }).ToArray();
        int[] offsets = FieldOffsets.Of(typeof(TKernel), readPaths);
        return [.. paths.Select((path, i) => (offsets[2 * i], offsets[2 * i + 1], KernelTypes.IsArrayView(path[^1].FieldType),
            $"{typeof(TKernel).Name}.{string.Join('.', path.Select(f => KernelTypes.FieldName(f)))}"))];
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
