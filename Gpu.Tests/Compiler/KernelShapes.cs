using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Compiler;

/// <summary>The shape a kernel struct launches as, from the kernel interface it implements.</summary>
internal static class KernelShapes
{
    /// <summary>The shape of <paramref name="type"/>, or null when it implements no kernel interface.</summary>
    public static KernelShape? Of(Type type)
        => typeof(IGroupKernel).IsAssignableFrom(type) ? KernelShape.Grouped
            : typeof(IKernel3D).IsAssignableFrom(type) ? KernelShape.ThreeD
            : typeof(IKernel2D).IsAssignableFrom(type) ? KernelShape.TwoD
            : typeof(IKernel1D).IsAssignableFrom(type) ? KernelShape.OneD
            : null;
}
