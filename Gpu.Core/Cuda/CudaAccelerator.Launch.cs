using System.Runtime.InteropServices;
using System.Text;
using Gpu.Core.Compiler;
using Gpu.Core.Cuda.Native;
using Gpu.Core.Translated;

namespace Gpu.Core.Cuda;

/// <summary>Launch planning, building and dispatch.</summary>
internal sealed unsafe partial class CudaAccelerator
{
    /// <summary>The driver's limit on the grid's y and z dimensions.</summary>
    private const int MaxGridYZ = 65535;

    private const int JitLogBytes = 16 * 1024;

    /// <summary>The stream the calling thread's launches go to, set by <see cref="CudaStream"/>
    /// around its launches (per thread, so other threads keep the default stream).</summary>
    [ThreadStatic]
    private static CudaStream? launchStream;

    /// <summary>Sends the calling thread's launches on this accelerator to <paramref name="stream"/> until disposed.</summary>
    internal StreamRedirect LaunchOn(CudaStream stream)
    {
        var previous = launchStream;
        launchStream = stream;
        return new StreamRedirect(previous);
    }

    internal readonly ref struct StreamRedirect(CudaStream? previous)
    {
        public void Dispose() => launchStream = previous;
    }

    protected override CudaProgram Build(GeneratedKernel kernel)
    {
        var image = compiler.Compile(kernel);
        using var scope = Context.Enter();
        nint module = LoadModule(kernel, image);
        nint function;
        byte[] entryPoint = Encoding.UTF8.GetBytes(kernel.EntryPoint + "\0");
        int found;
        fixed (byte* name = entryPoint)
            found = Driver.cuModuleGetFunction(&function, module, name);
        if (found != CudaResultNames.Success)
        {
            Driver.cuModuleUnload(module);
            throw new KernelBuildException(Driver.ErrorName(found), kernel.EntryPoint, kernel.Source,
                $"The module has no function named {kernel.EntryPoint}; CUDA entry points must be declared extern \"C\" __global__ so their names are not mangled.");
        }
        return new CudaProgram(kernel, Context, module, function);
    }

    /// <summary>Loads the image, collecting the JIT's error log (PTX is compiled for the device here).</summary>
    private nint LoadModule(GeneratedKernel kernel, KernelImage image)
    {
        byte* errorLog = stackalloc byte[JitLogBytes];
        errorLog[0] = 0;
        int* options = stackalloc int[] { CudaDriverApi.JitErrorLogBuffer, CudaDriverApi.JitErrorLogBufferSizeBytes };
        // Option values are passed in pointer-sized slots; a size travels as the integer itself.
        void** values = stackalloc void*[] { errorLog, (void*)(nint)JitLogBytes };
        nint module;
        int loaded;
        fixed (byte* bytes = image.Bytes)
            loaded = Driver.cuModuleLoadDataEx(&module, bytes, 2, options, values);
        if (loaded != CudaResultNames.Success)
            throw new KernelBuildException(Driver.ErrorName(loaded), kernel.EntryPoint, kernel.Source,
                $"cuModuleLoadDataEx of the {image.Target.GpuArchitecture} image failed.\n{Marshal.PtrToStringUTF8((nint)errorLog)}");
        return module;
    }

    protected override void Dispatch(CudaProgram program, ReadOnlySpan<KernelArgument> arguments, in LaunchGeometry geometry)
    {
        if (geometry.LocalX <= 0 || geometry.LocalY <= 0 || geometry.LocalZ <= 0)
            throw new ArgumentOutOfRangeException(nameof(geometry), "CUDA launches need an explicit block size.");
        int gridX = geometry.GlobalX / geometry.LocalX, gridY = geometry.GlobalY / geometry.LocalY, gridZ = geometry.GlobalZ / geometry.LocalZ;
        if (gridY > MaxGridYZ || gridZ > MaxGridYZ)
            throw new ArgumentOutOfRangeException(nameof(geometry),
                $"A grid of {gridX} × {gridY} × {gridZ} blocks exceeds CUDA's limit of {MaxGridYZ} blocks along y and z; split the work.");
        var stream = launchStream is { } redirected && ReferenceEquals(redirected.Accelerator, this) ? redirected.Handle : 0;
        void** parameters = stackalloc void*[Math.Max(arguments.Length, 1)];
        fixed (KernelArgument* values = arguments)
        {
            // cuLaunchKernel reads each parameter's size from the module, and the value from the
            // low bytes at its pointer: Bits holds the value little-endian from its first byte.
            for (int i = 0; i < arguments.Length; i++)
                parameters[i] = &values[i].Bits;
            using var scope = Context.Enter();
            var timer = OpenKernelTimer as CudaKernelTimer;
            var events = timer?.Begin(stream);
            int launched = Driver.cuLaunchKernel(program.Function, (uint)gridX, (uint)gridY, (uint)gridZ,
                (uint)geometry.LocalX, (uint)geometry.LocalY, (uint)geometry.LocalZ, 0, stream, parameters, null);
            if (events is { } pair)
            {
                if (launched == CudaResultNames.Success)
                    timer!.End(pair, stream);
                else
                    timer!.Discard(pair);
            }
            Driver.Check(launched, $"Launching {program.Kernel.EntryPoint} on {device.Name}");
        }
    }

    /// <summary>A region timed by an event pair around each launch.</summary>
    private protected override KernelTimer CreateKernelTimer() => new CudaKernelTimer(this);
}
