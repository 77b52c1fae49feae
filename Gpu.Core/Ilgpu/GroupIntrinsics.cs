using System.Collections.Concurrent;
using System.Reflection;
using Gpu.Core.Compiler;

namespace Gpu.Core.Ilgpu;

/// <summary>Which group intrinsics a grouped kernel is written with.</summary>
internal enum GroupIntrinsicsKind
{
    /// <summary>Neither: the kernel never asks where it stands nor shares memory.</summary>
    None,
    /// <summary>The project's <see cref="Group"/>/<see cref="SharedMemory"/>, which the CPU engine's emulation sets.</summary>
    Project,
    /// <summary>ILGPU's <c>Group</c>/<c>Grid</c>/<c>SharedMemory</c>/<c>Warp</c>, which only ILGPU's accelerators set.</summary>
    Ilgpu,
}

/// <summary>Reads a grouped kernel's IL (its <c>Execute</c> and every user method it calls) to tell whether
/// it uses the project's group intrinsics or ILGPU's: the two run on different emulations on the CPU,
/// since ILGPU's read per-thread state that only ILGPU's CPU accelerator sets.</summary>
internal static class GroupIntrinsics
{
    private static readonly ConcurrentDictionary<Type, GroupIntrinsicsKind> Cache = new();

    /// <summary>The kind of <paramref name="kernelType"/>, an <see cref="IGroupKernel"/> struct.</summary>
    /// <exception cref="InvalidOperationException">It mixes the project's intrinsics with ILGPU's.</exception>
    public static GroupIntrinsicsKind Of(Type kernelType) => Cache.GetOrAdd(kernelType, static type =>
    {
        var execute = type.GetInterfaceMap(typeof(IGroupKernel)).TargetMethods.Single();
        bool project = false, ilgpu = false;
        foreach (var callee in ILReferences.Reachable(execute, callee => !IsLibrary(callee.DeclaringType)).OfType<MethodBase>())
        {
            project |= IsProject(callee.DeclaringType);
            ilgpu |= IsIlgpu(callee.DeclaringType);
        }
        if (project && ilgpu)
            throw new InvalidOperationException($"{type.Name} uses both the project's Group/SharedMemory and ILGPU's; a kernel uses one or the other.");
        return project ? GroupIntrinsicsKind.Project : ilgpu ? GroupIntrinsicsKind.Ilgpu : GroupIntrinsicsKind.None;
    });

    private static bool IsProject(Type? type) => type == typeof(Group) || type == typeof(SharedMemory);

    private static bool IsIlgpu(Type? type) => type == typeof(ILGPU.Group) || type == typeof(ILGPU.Grid)
        || type == typeof(ILGPU.SharedMemory) || type == typeof(ILGPU.Warp);

    /// <summary>The runtime's, ILGPU's and Microsoft's assemblies: calls into them are not user code.</summary>
    private static bool IsLibrary(Type? type)
    {
        if (type is null)
            return true;
        string assembly = type.Assembly.GetName().Name ?? "";
        return type.Assembly == typeof(object).Assembly || assembly.StartsWith("System", StringComparison.Ordinal)
            || assembly.StartsWith("Microsoft", StringComparison.Ordinal) || assembly.StartsWith("ILGPU", StringComparison.Ordinal);
    }
}
