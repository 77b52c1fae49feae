using System.Collections.Concurrent;
using System.Reflection;
using Gpu.Core.Compiler;

namespace Gpu.Core.Translated;

/// <summary>How a launch maps onto the device: threads per dimension, threads per group
/// (0 lets the runtime choose), and whether the threads overhang the extent.</summary>
internal readonly record struct LaunchGeometry(int GlobalX, int GlobalY, int GlobalZ, int LocalX, int LocalY, int LocalZ, bool Guarded);

/// <summary>A device program built from a <see cref="GeneratedKernel"/>.</summary>
internal interface ICompiledProgram : IDisposable
{
    GeneratedKernel Kernel { get; }
}

/// <summary>The part shared by accelerators that run kernels through the kernel compiler
/// (OpenCL, CUDA): plan the launch, translate and build once per (kernel, shape, options), read
/// the arguments, dispatch.</summary>
internal abstract class TranslatingAccelerator<TProgram>(Device device) : Accelerator(device)
    where TProgram : class, ICompiledProgram
{
    private readonly ConcurrentDictionary<(Type Kernel, KernelShape Shape, KernelCompileOptions Options), Lazy<TProgram>> programs = new();

    /// <summary>Threads per group of ungrouped launches, per dimension count.</summary>
    internal const int BlockX1D = 256, BlockX2D = 32, BlockY2D = 8, BlockX3D = 32, BlockY3D = 4, BlockZ3D = 2;

    /// <summary>Chooses the thread and group sizes for an ungrouped launch of the given extent:
    /// by default whole groups of <see cref="BlockX1D"/> (1D), <see cref="BlockX2D"/> ×
    /// <see cref="BlockY2D"/> (2D) or <see cref="BlockX3D"/> × <see cref="BlockY3D"/> ×
    /// <see cref="BlockZ3D"/> (3D) threads.</summary>
    protected virtual LaunchGeometry PlanLaunch(KernelShape shape, int width, int height, int depth) => shape switch
    {
        KernelShape.OneD => Plan(width, 1, 1, BlockX1D, 1, 1),
        KernelShape.TwoD => Plan(width, height, 1, BlockX2D, BlockY2D, 1),
        _ => Plan(width, height, depth, BlockX3D, BlockY3D, BlockZ3D),
    };

    /// <summary>Rounds each extent up to whole groups; the launch is guarded when any was rounded.</summary>
    internal static LaunchGeometry Plan(int width, int height, int depth, int blockX, int blockY, int blockZ)
    {
        int x = RoundUp(width, blockX), y = RoundUp(height, blockY), z = RoundUp(depth, blockZ);
        return new LaunchGeometry(x, y, z, blockX, blockY, blockZ, Guarded: x != width || y != height || z != depth);
    }

    private static int RoundUp(int extent, int block)
    {
        long rounded = (extent + (long)block - 1) / block * block;
        return rounded <= int.MaxValue ? (int)rounded
            : throw new ArgumentOutOfRangeException(nameof(extent), $"An extent of {extent} rounded up to blocks of {block} exceeds one launch; split the work.");
    }

    /// <summary>Builds the device program; a failed build throws <see cref="KernelBuildException"/>.</summary>
    protected abstract TProgram Build(GeneratedKernel kernel);

    /// <summary>Queues the program with its arguments.</summary>
    protected abstract void Dispatch(TProgram program, ReadOnlySpan<KernelArgument> arguments, in LaunchGeometry geometry);

    /// <summary>Releases the context and queues once every program is gone.</summary>
    protected abstract void ReleaseContext();

    private protected override void Launch1D<TKernel>(int length, in TKernel kernel)
        => Run(KernelShape.OneD, kernel, PlanLaunch(KernelShape.OneD, length, 1, 1), [length]);

    private protected override void Launch2D<TKernel>(int width, int height, in TKernel kernel)
        => Run(KernelShape.TwoD, kernel, PlanLaunch(KernelShape.TwoD, width, height, 1), [width, height]);

    private protected override void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel)
        => Run(KernelShape.ThreeD, kernel, PlanLaunch(KernelShape.ThreeD, width, height, depth), [width, height, depth]);

    private protected override void LaunchGroupedCore<TKernel>(GroupedExtent extent, in TKernel kernel)
    {
        var geometry = new LaunchGeometry(
            checked(extent.GroupsX * extent.GroupSizeX), checked(extent.GroupsY * extent.GroupSizeY), checked(extent.GroupsZ * extent.GroupSizeZ),
            extent.GroupSizeX, extent.GroupSizeY, extent.GroupSizeZ, Guarded: false);
        Run(KernelShape.Grouped, kernel, geometry, []);
    }

    /// <summary>The program for a kernel, translating and building it on first use.</summary>
    internal TProgram GetProgram(Type kernelType, KernelShape shape, KernelCompileOptions options)
        => programs.GetOrAdd((kernelType, shape, options),
            key => new Lazy<TProgram>(() => Build(KernelCompiler.Generate(key.Kernel, key.Shape, key.Options)))).Value;

    /// <summary>Makes every launch of <paramref name="kernel"/>'s kernel type, shape and options
    /// run <paramref name="kernel"/> instead of the compiler's translation, built on first launch:
    /// the seam through which tests run hand-written device code along the whole launch path.</summary>
    internal void Substitute(GeneratedKernel kernel)
    {
        ThrowIfDisposed();
        var replaced = programs.GetValueOrDefault((kernel.KernelType, kernel.Shape, kernel.Options));
        programs[(kernel.KernelType, kernel.Shape, kernel.Options)] = new Lazy<TProgram>(() => Build(kernel));
        if (replaced is { IsValueCreated: true })
            replaced.Value.Dispose();
    }

    private void Run<TKernel>(KernelShape shape, in TKernel kernel, in LaunchGeometry geometry, ReadOnlySpan<int> extent) where TKernel : struct
    {
        var options = new KernelCompileOptions(geometry.Guarded, FastMathOf<TKernel>.IsSet);
        var program = GetProgram(typeof(TKernel), shape, options);
        var parameters = program.Kernel.Parameters;
        Span<KernelArgument> arguments = parameters.Count <= 64 ? stackalloc KernelArgument[parameters.Count] : new KernelArgument[parameters.Count];
        program.Kernel.Arguments.Read(kernel, extent, arguments);
        Dispatch(program, arguments, geometry);
    }

    private protected sealed override void ReleaseDevice()
    {
        foreach (var program in programs.Values)
            if (program.IsValueCreated)
                program.Value.Dispose();
        programs.Clear();
        ReleaseContext();
    }

    /// <summary>Whether a kernel type asks for fast maths, looked up once per type rather than by
    /// reflection on every launch.</summary>
    private static class FastMathOf<TKernel>
    {
        public static readonly bool IsSet = typeof(TKernel).IsDefined(typeof(FastMathAttribute), inherit: false);
    }
}
