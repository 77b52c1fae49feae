using ILGPU;

namespace Gpu.Core.Ilgpu;

/// <summary>ILGPU's entry points for the project's kernel structs: ILGPU loads a static method whose
/// first parameter is the index, so each kernel shape has one generic entry that calls the struct's
/// <c>Execute</c>. ILGPU compiles one instantiation per kernel struct; the struct must be public (or
/// its assembly must grant <c>InternalsVisibleTo("ILGPURuntime")</c>).</summary>
public static class IlgpuEntries
{
    /// <summary>Runs a 1D kernel at one index.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="index">The index.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public static void Execute1D<TKernel>(Index1D index, TKernel kernel) where TKernel : struct, IKernel1D
        => kernel.Execute(index.X);

    /// <summary>Runs a 2D kernel at one point.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="index">The point.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public static void Execute2D<TKernel>(Index2D index, TKernel kernel) where TKernel : struct, IKernel2D
        => kernel.Execute(index.X, index.Y);

    /// <summary>Runs a 3D kernel at one point.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="index">The point.</param>
    /// <param name="kernel">The kernel and its parameters.</param>
    public static void Execute3D<TKernel>(Index3D index, TKernel kernel) where TKernel : struct, IKernel3D
        => kernel.Execute(index.X, index.Y, index.Z);

    /// <summary>Runs one thread of a grouped kernel, an explicitly grouped ILGPU kernel: the struct finds
    /// itself through ILGPU's <c>Grid</c> and <c>Group</c> and shares through ILGPU's <c>SharedMemory</c>.</summary>
    /// <typeparam name="TKernel">The kernel struct.</typeparam>
    /// <param name="kernel">The kernel and its parameters.</param>
    public static void ExecuteGrouped<TKernel>(TKernel kernel) where TKernel : struct, IGroupKernel
        => kernel.Execute();

    /// <summary>The entry ILGPU compiles for <paramref name="kernelType"/>, by the interface it implements.</summary>
    /// <param name="kernelType">A struct implementing <see cref="IKernel1D"/>, <see cref="IKernel2D"/>, <see cref="IKernel3D"/> or <see cref="IGroupKernel"/>.</param>
    /// <exception cref="ArgumentException">It implements none of them.</exception>
    public static System.Reflection.MethodInfo EntryFor(Type kernelType)
    {
        string name = typeof(IKernel1D).IsAssignableFrom(kernelType) ? nameof(Execute1D)
            : typeof(IKernel2D).IsAssignableFrom(kernelType) ? nameof(Execute2D)
            : typeof(IKernel3D).IsAssignableFrom(kernelType) ? nameof(Execute3D)
            : typeof(IGroupKernel).IsAssignableFrom(kernelType) ? nameof(ExecuteGrouped)
            : throw new ArgumentException($"{kernelType.Name} is not a 1D, 2D, 3D or grouped kernel struct.", nameof(kernelType));
        return typeof(IlgpuEntries).GetMethod(name)!.MakeGenericMethod(kernelType);
    }
}
