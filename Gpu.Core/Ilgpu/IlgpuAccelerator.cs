using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace Gpu.Core.Ilgpu;

/// <summary>An engine that runs the project's kernel structs on an ILGPU accelerator: memory is ILGPU
/// buffers (their views are the kernels' <see cref="ArrayView{T}"/>s), each kernel struct is loaded once
/// through its generic entry (<see cref="IlgpuEntries"/>). Today it drives ILGPU's CPU accelerator, an
/// emulator used by the tests to check kernels under ILGPU's semantics; the CUDA engine will be the
/// same class over ILGPU's CudaAccelerator. Grouped kernels run when written with ILGPU's
/// <c>Group</c>/<c>Grid</c>/<c>SharedMemory</c>; those using the project's <see cref="Group"/> are refused.</summary>
internal sealed class IlgpuAccelerator : Gpu.Core.Accelerator
{
    private readonly Context context;
    private readonly ILGPU.Runtime.Accelerator accelerator;
    private readonly IlgpuKernelLauncher launcher;

    private IlgpuAccelerator(Device device, Context context, ILGPU.Runtime.Accelerator accelerator) : base(device)
        => (this.context, this.accelerator, launcher) = (context, accelerator, new IlgpuKernelLauncher(accelerator));

    /// <summary>ILGPU's CPU emulation with groups of up to 128 threads (its default device stops at 16,
    /// fewer than the grouped kernels use), in warps of 4.</summary>
    public static CPUDevice CpuEmulation { get; } = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 32, numMultiprocessors: 1);

    /// <summary>Opens ILGPU's CPU accelerator (an emulator: for correctness, not speed).</summary>
    public static IlgpuAccelerator OpenCpu(Device device)
    {
        var context = Context.Create(builder => builder.CPU(CpuEmulation).EnableAlgorithms());
        return new IlgpuAccelerator(device, context, context.CreateCPUAccelerator(0));
    }

    public override void Synchronize()
    {
        ThrowIfDisposed();
        accelerator.Synchronize();
    }

    private protected override DeviceMemory AllocateMemory(long bytes) => new IlgpuMemory(accelerator.Allocate1D<byte>(Math.Max(bytes, 1)), bytes);

    private protected override void Launch1D<TKernel>(int length, in TKernel kernel) => launcher.Launch1D(length, kernel);

    private protected override void Launch2D<TKernel>(int width, int height, in TKernel kernel) => launcher.Launch2D(width, height, kernel);

    private protected override void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel) => launcher.Launch3D(width, height, depth, kernel);

    private protected override void LaunchGroupedCore<TKernel>(GroupedExtent extent, in TKernel kernel) => launcher.LaunchGrouped(extent, kernel);

    private protected override void ReleaseDevice()
    {
        accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>One ILGPU byte buffer; the project's views of it are ILGPU views of the same buffer.</summary>
    private sealed unsafe class IlgpuMemory(MemoryBuffer1D<byte, Stride1D.Dense> buffer, long bytes) : DeviceMemory(bytes)
    {
        private ArrayView<byte> Range(long offset, long count) => buffer.View.BaseView.SubView(offset, count);

        public override nint Handle => buffer.NativePtr;

        public override MemoryBuffer CreateViewSource() => buffer;

        public override void CopyFromHost(void* source, long byteOffset, long byteCount)
        {
            for (long done = 0; done < byteCount; done += int.MaxValue)
            {
                int count = (int)Math.Min(int.MaxValue, byteCount - done);
                Range(byteOffset + done, count).CopyFromCPU(new ReadOnlySpan<byte>((byte*)source + done, count));
            }
        }

        public override void CopyToHost(void* destination, long byteOffset, long byteCount)
        {
            for (long done = 0; done < byteCount; done += int.MaxValue)
            {
                int count = (int)Math.Min(int.MaxValue, byteCount - done);
                Range(byteOffset + done, count).CopyToCPU(new Span<byte>((byte*)destination + done, count));
            }
        }

        public override void CopyTo(DeviceMemory destination, long sourceOffset, long destinationOffset, long byteCount)
        {
            if (destination is not IlgpuMemory target)
                throw new NotSupportedException("Copies between an ILGPU engine and another engine go through the host.");
            Range(sourceOffset, byteCount).CopyTo(target.Range(destinationOffset, byteCount));
        }

        public override void Clear(long byteOffset, long byteCount) => Range(byteOffset, byteCount).MemSetToZero();

        protected override void Free() => buffer.Dispose();
    }
}

/// <summary>ILGPU's CPU accelerator as a device, for tests: not listed in <see cref="Devices"/>, since
/// the CPU engine is the project's own loop and SIMD paths and this one is an emulator.</summary>
internal sealed class IlgpuCpuDevice : Device
{
    /// <summary>The device.</summary>
    public static IlgpuCpuDevice Instance { get; } = new()
    {
        Name = "ilgpu-cpu",
        Kind = DeviceKind.Cpu,
        Hardware = DeviceHardware.Cpu,
        DisplayName = "ILGPU CPU accelerator (emulator)",
        Vendor = "ILGPU",
        ComputeUnits = 1,
        MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        MaxGroupSize = 128,
        SharedMemoryPerGroup = 64 * 1024,
        SimdWidth = 1,
        ClockMHz = 0,
        PeakGflops = 0,
        PeakGBps = 0,
        PeakSource = "none: an emulator for correctness",
    };

    public override Gpu.Core.Accelerator Open() => IlgpuAccelerator.OpenCpu(this);
}
