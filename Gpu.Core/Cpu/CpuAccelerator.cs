using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Gpu.Core.Cpu;

/// <summary>Runs kernels as compiled .NET code. Each kernel struct gets a loop with its <c>Execute</c>
/// re-emitted inside and ILGPU's view indexers replaced by inlined accessors (<see cref="KernelLoopCompiler"/>);
/// a body that rewrite refuses runs in a generic loop the JIT specialises for the struct, where
/// <c>Execute</c> inlines but each view access goes through ILGPU's host indexer. Work is
/// split into chunks across the worker threads. Grouped kernels, written with ILGPU's <c>Group</c>,
/// <c>Grid</c> and <c>SharedMemory</c>, run on ILGPU's CPU accelerator (opened at the first grouped
/// launch), an emulation for correctness only.</summary>
internal sealed class CpuAccelerator(CpuDevice device) : Accelerator(device)
{
    /// <summary>Chunks per worker, so uneven chunks still balance.</summary>
    private const int ChunksPerThread = 4;

    /// <summary>Below this many indices, splitting costs more than it saves.</summary>
    private const int MinimumParallelLength = 2048;

    private readonly int threads = device.Threads;

    private readonly Lock ilgpuGate = new();
    private (ILGPU.Context Context, ILGPU.Runtime.Accelerator Accelerator, Ilgpu.IlgpuKernelLauncher Launcher)? ilgpu;

    public override void Synchronize() => ThrowIfDisposed();

    private protected override DeviceMemory AllocateMemory(long bytes) => new CpuMemory(bytes);

    private protected override void Launch1D<TKernel>(int length, in TKernel kernel)
    {
        var copy = kernel;
        if (KernelLoop1D<TKernel>.Loop is { } loop)
            ForEachChunk(length, (start, end) => loop(copy, start, end));
        else
            ForEachChunk(length, (start, end) => Run1D(copy, start, end));
    }

    // The range loops are the whole cost of a launch: compile them fully optimised at once rather
    // than through tier 0 and on-stack replacement, which would run the first launches slow.
    // On a GPU every thread starts from its own copy of the kernel struct, so a kernel that writes
    // its own fields must not see another index's writes here either: each index runs on a fresh
    // copy. The JIT promotes the struct's fields to registers, so the copy costs nothing when
    // Execute does not write them (saxpy's loop stays a plain load-multiply-add-store).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run1D<TKernel>(TKernel kernel, int start, int end) where TKernel : struct, IKernel1D
    {
        for (int i = start; i < end; i++)
        {
            var fresh = kernel;
            fresh.Execute(i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run2D<TKernel>(TKernel kernel, int width, int startRow, int endRow) where TKernel : struct, IKernel2D
    {
        for (int y = startRow; y < endRow; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var fresh = kernel;
                fresh.Execute(x, y);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run3D<TKernel>(TKernel kernel, int width, int height, int startRow, int endRow) where TKernel : struct, IKernel3D
    {
        for (int row = startRow; row < endRow; row++)
        {
            int y = row % height, z = row / height;
            for (int x = 0; x < width; x++)
            {
                var fresh = kernel;
                fresh.Execute(x, y, z);
            }
        }
    }

    private protected override void Launch2D<TKernel>(int width, int height, in TKernel kernel)
    {
        var copy = kernel;
        if (KernelLoop2D<TKernel>.Loop is { } loop)
            ForEachChunk(height, (start, end) => loop(copy, width, start, end), width);
        else
            ForEachChunk(height, (start, end) => Run2D(copy, width, start, end), width);
    }

    private protected override void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel)
    {
        var copy = kernel;
        if (KernelLoop3D<TKernel>.Loop is { } loop)
            ForEachChunk(checked(height * depth), (start, end) => loop(copy, width, height, start, end), width);
        else
            ForEachChunk(checked(height * depth), (start, end) => Run3D(copy, width, height, start, end), width);
    }

    // Only ILGPU's CPU accelerator sets the per-thread state that ILGPU's Group, Grid and SharedMemory read.
    private protected override void LaunchGroupedCore<TKernel>(GroupedExtent extent, in TKernel kernel)
        => IlgpuLauncher().LaunchGrouped(extent, kernel);

    /// <summary>ILGPU's CPU accelerator, whose views of this engine's memory (buffers with no accelerator)
    /// index the host memory directly.</summary>
    private Ilgpu.IlgpuKernelLauncher IlgpuLauncher()
    {
        lock (ilgpuGate)
        {
            if (ilgpu is null)
            {
                var context = ILGPU.Context.Create(builder => ILGPU.AlgorithmContext.EnableAlgorithms(ILGPU.Runtime.CPU.CPUContextExtensions.CPU(builder, Ilgpu.IlgpuAccelerator.CpuEmulation)));
                var accelerator = ILGPU.Runtime.CPU.CPUContextExtensions.CreateCPUAccelerator(context, 0);
                ilgpu = (context, accelerator, new Ilgpu.IlgpuKernelLauncher(accelerator));
            }
            return ilgpu.Value.Launcher;
        }
    }

    private protected override void ReleaseDevice()
    {
        if (ilgpu is { } opened)
        {
            opened.Accelerator.Dispose();
            opened.Context.Dispose();
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, <paramref name="count"/>) in contiguous chunks.</summary>
    /// <param name="count">Number of items.</param>
    /// <param name="body">Work for the items [start, end).</param>
    /// <param name="itemCost">Indices per item, so rows of a 2D launch weigh as much as their width.</param>
    private void ForEachChunk(int count, Action<int, int> body, int itemCost = 1)
    {
        if (threads == 1 || (long)count * itemCost < MinimumParallelLength)
        {
            body(0, count);
            return;
        }
        int chunks = Math.Min(count, threads * ChunksPerThread);
        try
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
                body((int)((long)count * chunk / chunks), (int)((long)count * (chunk + 1) / chunks)));
        }
        catch (AggregateException e)
        {
            // A kernel's exception (an index out of a view's range) surfaces as it does on one thread.
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }
}
