using System.Runtime.InteropServices;
using System.Text;
using Gpu.Core.Compiler;
using Gpu.Core.Cuda.Native;

namespace Gpu.Core.Cuda;

/// <summary>A kernel image ready for <c>cuModuleLoadDataEx</c>: PTX text ending in a NUL byte, or a CUBIN.</summary>
/// <param name="Bytes">The image.</param>
/// <param name="Target">What it was built for.</param>
internal sealed record KernelImage(byte[] Bytes, CudaTarget Target);

/// <summary>Compiles generated CUDA C with NVRTC for one device, through the on-disk image cache.
/// FP contraction is off (<c>--fmad=false</c>) so results match C#, unless the kernel opts into
/// fast maths.</summary>
/// <param name="nvrtc">The NVRTC library.</param>
/// <param name="cache">The image cache.</param>
/// <param name="target">What to emit for the device.</param>
internal sealed unsafe class NvrtcCompiler(NvrtcApi nvrtc, KernelImageCache cache, CudaTarget target)
{
    /// <summary>The NVRTC options for a kernel.</summary>
    public static IReadOnlyList<string> Options(CudaTarget target, KernelCompileOptions options)
        => [$"--gpu-architecture={target.GpuArchitecture}", options.FastMath ? "--use_fast_math" : "--fmad=false"];

    /// <summary>The image for <paramref name="kernel"/>, from the cache or freshly compiled.</summary>
    /// <exception cref="KernelBuildException">NVRTC rejected the source; carries its log and the source.</exception>
    public KernelImage Compile(GeneratedKernel kernel)
    {
        var options = Options(target, kernel.Options);
        string key = KernelImageCache.Key(kernel.Source, target.GpuArchitecture, options, $"nvrtc {nvrtc.Version}");
        if (cache.TryRead(key, target.Extension) is { Length: > 0 } cached)
            return new KernelImage(target.Cubin ? cached : NulTerminated(cached), target);
        var image = new KernelImage(Build(kernel, options), target);
        cache.TryWrite(key, target.Extension, image.Bytes);
        return image;
    }

    private byte[] Build(GeneratedKernel kernel, IReadOnlyList<string> options)
    {
        nint program = 0;
        byte[] source = Utf8(kernel.Source);
        byte[] name = Utf8(kernel.EntryPoint + ".cu");
        fixed (byte* sourcePointer = source)
        fixed (byte* namePointer = name)
            nvrtc.Check(nvrtc.nvrtcCreateProgram(&program, sourcePointer, namePointer, 0, null, null), $"Creating the NVRTC program for {kernel.EntryPoint}");
        try
        {
            int compiled = CompileProgram(program, options);
            if (compiled != NvrtcResultNames.Success)
                throw new KernelBuildException(nvrtc.ErrorName(compiled), kernel.EntryPoint, kernel.Source,
                    $"nvrtc {nvrtc.Version} {string.Join(' ', options)}\n{ProgramLog(program)}");
            return target.Cubin ? Output(program, nvrtc.nvrtcGetCUBINSize, nvrtc.nvrtcGetCUBIN, "CUBIN") : Output(program, nvrtc.nvrtcGetPTXSize, nvrtc.nvrtcGetPTX, "PTX");
        }
        finally
        {
            nvrtc.nvrtcDestroyProgram(&program);
        }
    }

    private int CompileProgram(nint program, IReadOnlyList<string> options)
    {
        var encoded = options.Select(Utf8).Select(bytes => GCHandle.Alloc(bytes, GCHandleType.Pinned)).ToArray();
        try
        {
            byte** pointers = stackalloc byte*[encoded.Length];
            for (int i = 0; i < encoded.Length; i++)
                pointers[i] = (byte*)encoded[i].AddrOfPinnedObject();
            return nvrtc.nvrtcCompileProgram(program, encoded.Length, pointers);
        }
        finally
        {
            foreach (var handle in encoded)
                handle.Free();
        }
    }

    private byte[] Output(nint program, delegate* unmanaged<nint, nuint*, int> getSize, delegate* unmanaged<nint, byte*, int> get, string kind)
    {
        nuint size;
        nvrtc.Check(getSize(program, &size), $"Reading the {kind} size");
        var bytes = new byte[checked((int)size)];
        fixed (byte* destination = bytes)
            nvrtc.Check(get(program, destination), $"Reading the {kind}");
        return bytes;
    }

    private string ProgramLog(nint program)
    {
        nuint size;
        if (nvrtc.nvrtcGetProgramLogSize(program, &size) != NvrtcResultNames.Success || size <= 1)
            return "(NVRTC gave no log)";
        var bytes = new byte[checked((int)size)];
        fixed (byte* destination = bytes)
            if (nvrtc.nvrtcGetProgramLog(program, destination) != NvrtcResultNames.Success)
                return "(NVRTC's log could not be read)";
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    /// <summary>The string as UTF-8 with the terminating NUL C expects.</summary>
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    /// <summary>PTX is loaded as a C string: make sure a cached copy still ends in NUL.</summary>
    private static byte[] NulTerminated(byte[] ptx) => ptx[^1] == 0 ? ptx : [.. ptx, 0];
}
