using System.Reflection;
using System.Runtime.CompilerServices;
using Gpu.Core.Compiler;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The view fields of a kernel struct (ILGPU <see cref="ILGPU.ArrayView{T}"/>s, nested structs
/// included, so also the base views of 2D/3D views), found once per type, and the check
/// every launch makes of them: a kernel handed a view of a disposed buffer or of another accelerator
/// would otherwise read freed or foreign memory on the CPU, or pass a dead <c>cl_mem</c> to the driver.</summary>
internal static class KernelViews<TKernel> where TKernel : struct
{
    private static readonly (int BufferOffset, int LengthOffset, string Name)[] views = Find();

    /// <summary>Checks each non-empty view field against <paramref name="accelerator"/>'s live buffers.</summary>
    public static void Check(Accelerator accelerator, in TKernel kernel)
    {
        if (views.Length == 0)
            return;
        ref byte start = ref Unsafe.As<TKernel, byte>(ref Unsafe.AsRef(in kernel));
        foreach (var (bufferOffset, lengthOffset, name) in views)
        {
            // A view is known by its buffer, which a DeviceBuffer registered.
            if (Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref start, lengthOffset)) != 0)
                accelerator.CheckAllocation(Allocations.SourceOf(Unsafe.As<byte, MemoryBuffer?>(ref Unsafe.Add(ref start, bufferOffset))), name);
        }
    }

    private static (int, int, string)[] Find()
    {
        var paths = new List<IReadOnlyList<FieldInfo>>();
        Collect(typeof(TKernel), [], paths);
        // A view is read at its buffer field and its length field.
        var readPaths = paths.SelectMany(path => new IReadOnlyList<FieldInfo>[]
            { [.. path, KernelTypes.ViewFields(path[^1].FieldType).Handle], [.. path, KernelTypes.ViewFields(path[^1].FieldType).Length] }).ToArray();
        int[] offsets = FieldOffsets.Of(typeof(TKernel), readPaths);
        return [.. paths.Select((path, i) => (offsets[2 * i], offsets[2 * i + 1],
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
