using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core.Ilgpu;

/// <summary>Launches the project's kernel structs on one ILGPU accelerator: each struct is loaded once
/// through its generic entry (<see cref="IlgpuEntries"/>) and cached. Used by the ILGPU engine and by the
/// CPU engine for grouped kernels.</summary>
internal sealed class IlgpuKernelLauncher(ILGPU.Runtime.Accelerator accelerator)
{
    private readonly ConcurrentDictionary<Type, Delegate> kernels = new();

    public void Launch1D<TKernel>(int length, in TKernel kernel) where TKernel : struct, IKernel1D
        => Load<Action<Index1D, TKernel>, TKernel>(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, TKernel>(IlgpuEntries.Execute1D))(length, kernel);

    public void Launch2D<TKernel>(int width, int height, in TKernel kernel) where TKernel : struct, IKernel2D
        => Load<Action<Index2D, TKernel>, TKernel>(() => accelerator.LoadAutoGroupedStreamKernel<Index2D, TKernel>(IlgpuEntries.Execute2D))(new Index2D(width, height), kernel);

    public void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel) where TKernel : struct, IKernel3D
        => Load<Action<Index3D, TKernel>, TKernel>(() => accelerator.LoadAutoGroupedStreamKernel<Index3D, TKernel>(IlgpuEntries.Execute3D))(new Index3D(width, height, depth), kernel);

    /// <summary>A grouped launch: ILGPU's <see cref="KernelConfig"/> of the extent's groups and group size;
    /// shared memory is the kernel's own static <c>SharedMemory.Allocate</c>s.</summary>
    public void LaunchGrouped<TKernel>(GroupedExtent extent, in TKernel kernel) where TKernel : struct, IGroupKernel
    {
        var config = new KernelConfig(
            new Index3D(extent.GroupsX, extent.GroupsY, extent.GroupsZ),
            new Index3D(extent.GroupSizeX, extent.GroupSizeY, extent.GroupSizeZ));
        Load<Action<KernelConfig, TKernel>, TKernel>(() => accelerator.LoadStreamKernel<TKernel>(IlgpuEntries.ExecuteGrouped))(config, kernel);
    }

    private TDelegate Load<TDelegate, TKernel>(Func<TDelegate> load) where TDelegate : Delegate where TKernel : struct
        => (TDelegate)kernels.GetOrAdd(typeof(TKernel), _ => load());
}
