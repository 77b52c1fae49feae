using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Gpu.Core.Ilgpu;

/// <summary>An engine that runs the project's kernel structs on an ILGPU accelerator: memory is ILGPU
/// buffers (their views are the kernels' <see cref="ArrayView{T}"/>s), each kernel struct is loaded once
/// through its generic entry (<see cref="IlgpuEntries"/>). Research code hands it its own ILGPU
/// accelerator (<see cref="Wrap"/>) and buffers (<see cref="Adopt{T}"/>), and runs its own ILGPU kernels on
/// the library's buffers through <see cref="DeviceBuffer{T}.View"/> on <see cref="Ilgpu"/>; no data is
/// copied either way. Grouped kernels are written with ILGPU's <c>Group</c>/<c>Grid</c>/<c>SharedMemory</c>.</summary>
public sealed class IlgpuAccelerator : Gpu.Core.Accelerator
{
    // What disposing this engine disposes: nothing of a caller's (Wrap); the accelerator of a cuda:N
    // device, whose context the process shares; the accelerator and the private context of ilgpu-cpu.
    private readonly bool ownsAccelerator;
    private readonly Context? ownedContext;
    private readonly IlgpuKernelLauncher launcher;
    private CuBlas? cuBlas;

    private IlgpuAccelerator(Device device, ILGPU.Runtime.Accelerator accelerator, bool ownsAccelerator, Context? ownedContext) : base(device)
        => (Ilgpu, this.ownsAccelerator, this.ownedContext, launcher) = (accelerator, ownsAccelerator, ownedContext, new IlgpuKernelLauncher(accelerator));

    /// <summary>The ILGPU accelerator it drives: the one to load the user's own ILGPU kernels on, so that
    /// they run on the library's buffers' <see cref="DeviceBuffer{T}.View"/>s.</summary>
    public ILGPU.Runtime.Accelerator Ilgpu { get; }

    /// <summary>ILGPU's CPU emulation with groups of up to 256 threads (its default device stops at 16,
    /// fewer than the grouped kernels use: the tiled GEMM's 16×16 and the channel statistics' 256), in warps of 4.</summary>
    internal static CPUDevice CpuEmulation { get; } = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 1);

    /// <summary>Opens ILGPU's CPU accelerator (an emulator: for correctness, not speed) in a context of its own.</summary>
    internal static IlgpuAccelerator OpenCpu(Device device)
    {
        var context = Context.Create(builder => builder.CPU(CpuEmulation).EnableAlgorithms());
        return new IlgpuAccelerator(device, context.CreateCPUAccelerator(0), ownsAccelerator: true, context);
    }

    /// <summary>Opens ILGPU's OpenCL accelerator on <paramref name="device"/> (one with the generic address space), in the
    /// process's shared ILGPU OpenCL context.</summary>
    internal static IlgpuAccelerator OpenOpenCL(OpenCL.OpenCLDevice device)
        => new(device, OpenCL.IlgpuOpenCL.Open(device), ownsAccelerator: true, ownedContext: null);

    /// <summary>Opens an ILGPU CUDA accelerator on <paramref name="device"/>, in the process's shared CUDA context.</summary>
    internal static IlgpuAccelerator OpenCuda(Cuda.CudaDevice device)
        => new(device, device.Ilgpu.CreateCudaAccelerator(device.Context), ownsAccelerator: true, ownedContext: null);

    /// <summary>An engine over an ILGPU accelerator the caller created and keeps owning: disposing the
    /// engine frees the library's buffers on it but neither the accelerator nor its context.</summary>
    /// <param name="accelerator">The caller's ILGPU accelerator (CPU, CUDA or OpenCL).</param>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public static IlgpuAccelerator Wrap(ILGPU.Runtime.Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ObjectDisposedException.ThrowIf(accelerator.IsDisposed, accelerator);
        return new IlgpuAccelerator(new WrappedIlgpuDevice(accelerator), accelerator, ownsAccelerator: false, ownedContext: null);
    }

    /// <summary>The caller's ILGPU buffer as a library buffer, without a copy: ops and kernels take its <see cref="DeviceBuffer{T}.View"/>,
    /// and launches accept the caller's own ILGPU views of the
    /// buffer as well. The caller keeps owning the ILGPU buffer; disposing the returned one only ends the
    /// adoption, and once the caller disposes the ILGPU buffer every view of it is refused as disposed.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="buffer">A buffer allocated on <see cref="Ilgpu"/>.</param>
    /// <exception cref="ArgumentException">The buffer belongs to another ILGPU accelerator, or is already adopted.</exception>
    /// <exception cref="ObjectDisposedException">This engine or the buffer is disposed.</exception>
    public DeviceBuffer<T> Adopt<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        if (!ReferenceEquals(buffer.Accelerator, Ilgpu))
            throw new ArgumentException($"The buffer was allocated on {buffer.Accelerator?.Name ?? "no accelerator"}, not on {Ilgpu.Name}, which this engine drives.", nameof(buffer));
        // The caller's views carry the raw buffer inside the typed one; the adoption's views carry it too, and
        // registering it (through the DeviceBuffer's first View) makes the caller's views pass the launch check.
        var raw = ((IArrayView)buffer.View.BaseView).Buffer;
        // One buffer, one adoption: launches know an ILGPU view's buffer by its MemoryBuffer, which can name one DeviceBuffer.
        if (Allocations.OwnerOf(Allocations.SourceOf(raw)) is not null)
            throw new ArgumentException("The buffer is already adopted; use the DeviceBuffer that adoption returned (its View and sub-views of it).", nameof(buffer));
        var adopted = Register<T>(new IlgpuMemory(raw, raw.LengthInBytes, owned: false), buffer.Length);
        _ = adopted.View;
        return adopted;
    }

    /// <summary>cuBLAS on this engine's stream when it drives a CUDA accelerator and the cuBLAS library loads (created
    /// on first use, freed with the engine); null otherwise, with the reason in <see cref="CuBlasUnavailableReason"/>.
    /// Research code may call it too.</summary>
    public CuBlas? CuBlas
    {
        get
        {
            ThrowIfDisposed();
            if (cuBlas is not null || CuBlasUnavailableReason is not null)
                return cuBlas;
            if (Ilgpu is not CudaAccelerator cuda)
            {
                CuBlasUnavailableReason = $"{Device.Name} is not a CUDA device";
                return null;
            }
            try
            {
                return cuBlas = new CuBlas(cuda);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CuBlasException)
            {
                // The driver runs ILGPU's kernels; cuBLAS ships with the CUDA toolkit, which a machine may lack.
                CuBlasUnavailableReason = $"cuBLAS did not load: {e.Message}";
                return null;
            }
        }
    }

    /// <summary>Why <see cref="CuBlas"/> is null, once it has been asked for; null while it is available or not yet asked.</summary>
    public string? CuBlasUnavailableReason { get; private set; }

    /// <inheritdoc/>
    public override void Synchronize()
    {
        ThrowIfDisposed();
        Ilgpu.Synchronize();
    }

    /// <exception cref="DeviceOutOfMemoryException">The device has not that much memory free; the error name is the driver's.</exception>
    private protected override DeviceMemory AllocateMemory(long bytes)
    {
        try
        {
            return new IlgpuMemory(Ilgpu.Allocate1D<byte>(Math.Max(bytes, 1)), bytes, owned: true);
        }
        catch (CudaException e) when (e.Error == nameof(CudaError.CUDA_ERROR_OUT_OF_MEMORY))
        {
            throw new DeviceOutOfMemoryException(e.Error, $"Allocating {bytes} bytes on {Device.Name} failed: {e.Message}");
        }
    }

    private protected override void Launch1D<TKernel>(int length, in TKernel kernel)
    {
        var start = MarkIfTimed();
        launcher.Launch1D(length, kernel);
        Record(start);
    }

    private protected override void Launch2D<TKernel>(int width, int height, in TKernel kernel)
    {
        var start = MarkIfTimed();
        launcher.Launch2D(width, height, kernel);
        Record(start);
    }

    private protected override void Launch3D<TKernel>(int width, int height, int depth, in TKernel kernel)
    {
        var start = MarkIfTimed();
        launcher.Launch3D(width, height, depth, kernel);
        Record(start);
    }

    private protected override void LaunchGroupedCore<TKernel>(GroupedExtent extent, in TKernel kernel)
    {
        var start = MarkIfTimed();
        launcher.LaunchGrouped(extent, kernel);
        Record(start);
    }

    /// <summary>Device timers need ILGPU's profiling markers, which its contexts only give when built with profiling:
    /// the CUDA devices' shared context is; a caller's or the emulator's may not be, and then no timer is offered.</summary>
    private protected override KernelTimer? CreateKernelTimer() => Ilgpu.Context.Properties.EnableProfiling ? new IlgpuKernelTimer(this) : null;

    private ProfilingMarker? MarkIfTimed() => OpenKernelTimer is IlgpuKernelTimer ? Ilgpu.AddProfilingMarker() : null;

    private void Record(ProfilingMarker? start)
    {
        if (start is { } marker && OpenKernelTimer is IlgpuKernelTimer timer)
            timer.Add((marker, Ilgpu.AddProfilingMarker()));
        else
            start?.Dispose();
    }

    private protected override void ReleaseDevice()
    {
        cuBlas?.Dispose();
        if (ownsAccelerator)
            Ilgpu.Dispose();
        ownedContext?.Dispose();
    }

    /// <summary>One ILGPU buffer, the library's own or one borrowed from the caller; the views of its DeviceBuffer
    /// are views of this same buffer.</summary>
    private sealed unsafe class IlgpuMemory(MemoryBuffer buffer, long bytes, bool owned) : DeviceMemory(bytes)
    {
        private ArrayView<byte> Range(long offset, long count) => new ArrayView<byte>(buffer, 0, buffer.LengthInBytes).SubView(offset, count);

        public override nint Handle => buffer.NativePtr;

        public override MemoryBuffer CreateViewSource() => buffer;

        public override MemoryBuffer? Borrowed => owned ? null : buffer;

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

        protected override void Free()
        {
            if (owned)
                buffer.Dispose();
        }
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
        MaxGroupSize = 256,
        SharedMemoryPerGroup = 64 * 1024,
        SimdWidth = 1,
        ClockMHz = 0,
        PeakGflops = 0,
        PeakGBps = 0,
        PeakSource = "none: an emulator for correctness",
        Engine = new DeviceEngine("ILGPU CPU accelerator", "the test-only emulator that checks kernels compile and run under ILGPU"),
    };

    public override Gpu.Core.Accelerator Open() => IlgpuAccelerator.OpenCpu(this);
}

/// <summary>The device behind a caller's ILGPU accelerator (<see cref="IlgpuAccelerator.Wrap"/>), described from
/// what ILGPU reports. Its kind follows the accelerator's type: an ILGPU CPU accelerator's memory is host
/// memory, so ops take their CPU paths on it.</summary>
internal sealed class WrappedIlgpuDevice : Device
{
    private readonly ILGPU.Runtime.Accelerator accelerator;

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public WrappedIlgpuDevice(ILGPU.Runtime.Accelerator accelerator)
    {
        this.accelerator = accelerator;
        (Name, Kind) = accelerator.AcceleratorType switch
        {
            AcceleratorType.CPU => ("ilgpu-cpu", DeviceKind.Cpu),
            AcceleratorType.Cuda => ("ilgpu-cuda", DeviceKind.Cuda),
            _ => ("ilgpu-opencl", DeviceKind.OpenCL),
        };
        Hardware = accelerator.AcceleratorType == AcceleratorType.CPU ? DeviceHardware.Cpu : DeviceHardware.Gpu;
        DisplayName = $"{accelerator.Name} (the caller's ILGPU accelerator)";
        Vendor = "ILGPU";
        ComputeUnits = accelerator.NumMultiprocessors;
        MemoryBytes = accelerator.MemorySize;
        MaxGroupSize = accelerator.MaxNumThreadsPerGroup;
        SharedMemoryPerGroup = accelerator.MaxSharedMemoryPerGroup;
        SimdWidth = accelerator.WarpSize;
        ClockMHz = 0;
        PeakGflops = 0;
        PeakGBps = 0;
        PeakSource = "none: not measured for a caller's accelerator";
        Engine = new DeviceEngine($"ILGPU {accelerator.AcceleratorType}", "the caller's own ILGPU accelerator, handed in through IlgpuAccelerator.Wrap");
    }

    /// <summary>Another engine over the same ILGPU accelerator, still owned by the caller.</summary>
    public override Gpu.Core.Accelerator Open() => IlgpuAccelerator.Wrap(accelerator);
}
