namespace Gpu.Core.Cpu;

/// <summary>The CPU engine's specialised loop for a 1D kernel struct, built at its first launch; null where
/// <see cref="KernelLoopCompiler"/> refused it, and then <see cref="Refusal"/> says why.</summary>
internal static class KernelLoop1D<TKernel> where TKernel : struct, IKernel1D
{
    private static readonly (Action<TKernel, int, int>? Loop, string? Refusal) compiled = KernelLoopCompiler.Compile1D<TKernel>();

    /// <summary>The loop <c>(kernel, start, end)</c>, or null.</summary>
    public static Action<TKernel, int, int>? Loop => compiled.Loop;

    /// <summary>Why the kernel runs through the plain loop, or null.</summary>
    public static string? Refusal => compiled.Refusal;
}

/// <summary>The CPU engine's specialised loop for a 2D kernel struct (see <see cref="KernelLoop1D{TKernel}"/>).</summary>
internal static class KernelLoop2D<TKernel> where TKernel : struct, IKernel2D
{
    private static readonly (Action<TKernel, int, int, int>? Loop, string? Refusal) compiled = KernelLoopCompiler.Compile2D<TKernel>();

    /// <summary>The loop <c>(kernel, width, startRow, endRow)</c>, or null.</summary>
    public static Action<TKernel, int, int, int>? Loop => compiled.Loop;

    /// <summary>Why the kernel runs through the plain loop, or null.</summary>
    public static string? Refusal => compiled.Refusal;
}

/// <summary>The CPU engine's specialised loop for a 3D kernel struct (see <see cref="KernelLoop1D{TKernel}"/>).</summary>
internal static class KernelLoop3D<TKernel> where TKernel : struct, IKernel3D
{
    private static readonly (Action<TKernel, int, int, int, int>? Loop, string? Refusal) compiled = KernelLoopCompiler.Compile3D<TKernel>();

    /// <summary>The loop <c>(kernel, width, height, startRow, endRow)</c>, or null.</summary>
    public static Action<TKernel, int, int, int, int>? Loop => compiled.Loop;

    /// <summary>Why the kernel runs through the plain loop, or null.</summary>
    public static string? Refusal => compiled.Refusal;
}
