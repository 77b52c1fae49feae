using System.Text;
using Gpu.Core.Compiler;
using Gpu.Core.OpenCL.Native;
using Gpu.Core.Translated;

namespace Gpu.Core.OpenCL;

/// <summary>Runs translated kernels on an OpenCL device: one context and one in-order profiling
/// queue, so copies and launches run in the order issued and each launch can be timed.</summary>
internal sealed unsafe class OpenCLAccelerator : TranslatingAccelerator<OpenCLProgram>
{
    private readonly OpenCLDevice device;
    private readonly OpenCLContext context;
    private readonly Lock eventGate = new();
    private readonly bool wholeGroups;
    private nint lastKernelEvent;

    /// <summary>Opens the device.</summary>
    /// <param name="device">The device.</param>
    /// <param name="wholeGroups">Whether ungrouped launches run in whole groups of the shared
    /// block sizes (guarded where padded) rather than over the exact extent; by default only on
    /// GPUs (see <see cref="PlanLaunch"/>). Tests force it to run the GPU path on a CPU device.</param>
    public OpenCLAccelerator(OpenCLDevice device, bool? wholeGroups = null) : base(device)
    {
        this.device = device;
        this.wholeGroups = (wholeGroups ?? device.Hardware != DeviceHardware.Cpu) && device.MaxGroupSize >= BlockX1D;
        context = new OpenCLContext(device.Api, device.Handle, device.Name);
    }

    private OpenCLApi Api => device.Api;

    /// <summary>The <c>cl_command_queue</c> every copy and launch goes through, so that bench can
    /// run a peer library (CLBlast) on the same queue and the same buffers, in order with ours.</summary>
    internal nint CommandQueue => context.Queue;

    /// <summary>The device's FMA throughput in GFLOP/s from a kernel of explicit vectors, and their
    /// width (<see cref="OpenCLFmaProbe"/>): bench's measured compute peak of an OpenCL device.</summary>
    internal (double Gflops, int Width) MeasureVectorFma()
    {
        ThrowIfDisposed();
        return (OpenCLFmaProbe.Measure(context, device), OpenCLFmaProbe.Width(device));
    }

    /// <summary>Waits for every queued copy and launch, reporting the first that failed.</summary>
    public override void Synchronize()
    {
        ThrowIfDisposed();
        context.Finish($"Waiting for {device.Name}");
    }

    private protected override DeviceMemory AllocateMemory(long bytes) => new OpenCLMemory(context, device.MaxAllocationBytes, bytes);

    /// <summary>The build options: OpenCL C 1.2, and C#'s rounding of float division and square
    /// root unless the kernel asked for fast maths. Contraction is switched off by the generated
    /// source's own <c>FP_CONTRACT</c> pragma.</summary>
    /// <param name="options">The kernel's options.</param>
    /// <param name="correctlyRoundedDivideSqrt">Whether the device offers correctly rounded division and sqrt.</param>
    internal static string BuildOptions(KernelCompileOptions options, bool correctlyRoundedDivideSqrt)
        => options.FastMath ? "-cl-std=CL1.2 -cl-fast-relaxed-math"
            : correctlyRoundedDivideSqrt ? "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt"
            : "-cl-std=CL1.2";

    /// <summary>Ungrouped launches on a CPU device cover the extent exactly and let the runtime
    /// choose the group (PoCL vectorises across the group it picks, and a padded launch needs a
    /// bounds guard that costs more than it saves); GPUs get whole groups of the shared block sizes.</summary>
    protected override LaunchGeometry PlanLaunch(KernelShape shape, int width, int height, int depth)
        => wholeGroups ? base.PlanLaunch(shape, width, height, depth) : new LaunchGeometry(width, height, depth, 0, 0, 0, Guarded: false);

    protected override OpenCLProgram Build(GeneratedKernel kernel)
    {
        if (kernel.UsesDouble && !device.SupportsDouble)
            throw new NotSupportedException($"Kernel {kernel.EntryPoint} uses double precision, which {device} does not support.");
        nint program = CreateProgram(kernel);
        try
        {
            BuildProgram(program, kernel);
            return new OpenCLProgram(kernel, Api, program, CreateKernel(program, kernel));
        }
        catch
        {
            Api.clReleaseProgram(program);
            throw;
        }
    }

    private nint CreateProgram(GeneratedKernel kernel)
    {
        nint program = context.CreateProgram(kernel.Source, out int error);
        if (error != OpenCLErrorNames.Success)
            throw new KernelBuildException(OpenCLErrorNames.Get(error), kernel.EntryPoint, kernel.Source, "clCreateProgramWithSource failed.");
        return program;
    }

    private void BuildProgram(nint program, GeneratedKernel kernel)
    {
        string options = BuildOptions(kernel.Options, device.CorrectlyRoundedDivideSqrt);
        byte[] optionBytes = Encoding.UTF8.GetBytes(options + "\0");
        nint handle = device.Handle;
        int built;
        fixed (byte* text = optionBytes)
            built = Api.clBuildProgram(program, 1, &handle, text, null, null);
        if (built == OpenCLErrorNames.Success)
            return;
        string log;
        try
        {
            log = Api.BuildLog(program, device.Handle);
        }
        catch (GpuException e)
        {
            log = $"(the build log could not be read: {e.ErrorName})";
        }
        throw new KernelBuildException(OpenCLErrorNames.Get(built), kernel.EntryPoint, kernel.Source, $"clBuildProgram {options} on {device}:\n{log}");
    }

    private nint CreateKernel(nint program, GeneratedKernel kernel)
    {
        byte[] name = Encoding.UTF8.GetBytes(kernel.EntryPoint + "\0");
        int error;
        nint created;
        fixed (byte* text = name)
            created = Api.clCreateKernel(program, text, &error);
        if (error != OpenCLErrorNames.Success)
            throw new KernelBuildException(OpenCLErrorNames.Get(error), kernel.EntryPoint, kernel.Source,
                $"The program built but clCreateKernel found no __kernel named {kernel.EntryPoint}.");
        return created;
    }

    protected override void Dispatch(OpenCLProgram program, ReadOnlySpan<KernelArgument> arguments, in LaunchGeometry geometry)
    {
        uint dimensions = program.Kernel.Shape switch
        {
            KernelShape.OneD => 1,
            KernelShape.TwoD => 2,
            KernelShape.ThreeD => 3,
            _ => geometry.GlobalZ > 1 ? 3u : geometry.GlobalY > 1 ? 2u : 1u,
        };
        nuint* global = stackalloc nuint[] { (nuint)geometry.GlobalX, (nuint)geometry.GlobalY, (nuint)geometry.GlobalZ };
        nuint* local = stackalloc nuint[] { (nuint)geometry.LocalX, (nuint)geometry.LocalY, (nuint)geometry.LocalZ };
        bool runtimeChoosesGroups = geometry.LocalX == 0;
        var parameters = program.Kernel.Parameters;
        nint completed;
        lock (program.ArgumentsGate)
        {
            fixed (KernelArgument* values = arguments)
                for (int i = 0; i < arguments.Length; i++)
                {
                    // A buffer argument is the cl_mem itself, pointer-sized; Bits holds it from its first byte.
                    nuint size = parameters[i].Kind == KernelParameterKind.ViewHandle ? (nuint)sizeof(nint) : (nuint)values[i].Size;
                    OpenCLApi.Check(Api.clSetKernelArg(program.EntryPoint, (uint)i, size, &values[i].Bits),
                        $"Setting argument {i} ({parameters[i].Name}) of {program.Kernel.EntryPoint}");
                }
            int launched = Api.clEnqueueNDRangeKernel(context.Queue, program.EntryPoint, dimensions, null, global, runtimeChoosesGroups ? null : local, 0, null, &completed);
            if (launched != OpenCLErrorNames.Success)
                throw LaunchFailure(program, launched, geometry);
        }
        try
        {
            if (OpenKernelTimer is OpenCLKernelTimer timer)
            {
                // Retained before the slot below holds it, since another thread's launch may release it from there.
                OpenCLApi.Check(Api.clRetainEvent(completed), $"Keeping the event of {program.Kernel.EntryPoint} for the kernel timer");
                timer.Add(completed);
            }
        }
        finally
        {
            RememberLastKernel(completed);
        }
    }

    /// <summary>A region timed by the queue's profiling events (the queue always profiles, so a launch
    /// outside a region costs what it did before).</summary>
    private protected override KernelTimer CreateKernelTimer() => new OpenCLKernelTimer(this, context);

    private GpuException LaunchFailure(OpenCLProgram program, int error, in LaunchGeometry geometry)
    {
        string action = $"Launching {program.Kernel.EntryPoint} on {device.Name} over {geometry.GlobalX} × {geometry.GlobalY} × {geometry.GlobalZ}"
            + (geometry.LocalX == 0 ? "" : $" in groups of {geometry.LocalX} × {geometry.LocalY} × {geometry.LocalZ}");
        nuint kernelLimit;
        if (error == OpenCLErrorNames.InvalidWorkGroupSize
            && Api.clGetKernelWorkGroupInfo(program.EntryPoint, device.Handle, OpenCLApi.KernelWorkGroupSize, (nuint)sizeof(nuint), &kernelLimit, null) == OpenCLErrorNames.Success)
            action += $" (this kernel allows groups of at most {kernelLimit} threads on this device)";
        return OpenCLApi.Failure(error, action);
    }

    private void RememberLastKernel(nint completed)
    {
        nint previous;
        lock (eventGate)
        {
            previous = lastKernelEvent;
            lastKernelEvent = completed;
        }
        if (previous != 0)
            Api.clReleaseEvent(previous);
    }

    /// <summary>How long the most recent launch ran on the device, from its profiling event
    /// (waiting for it to finish), or null before the first launch. For the benchmark.</summary>
    internal TimeSpan? LastKernelDuration()
    {
        ThrowIfDisposed();
        lock (eventGate)
            return lastKernelEvent == 0 ? null : TimeSpan.FromTicks(context.ElapsedNanoseconds(lastKernelEvent) / 100);
    }

    protected override void ReleaseContext()
    {
        RememberLastKernel(0);
        context.Dispose();
    }
}
