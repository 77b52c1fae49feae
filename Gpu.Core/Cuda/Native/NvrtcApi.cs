using System.Runtime.InteropServices;
using Gpu.Core.Native;

namespace Gpu.Core.Cuda.Native;

/// <summary>The NVRTC entry points this backend calls, from the first library
/// <see cref="NvrtcLibraryLocator"/> lists that loads. Every function returns an <c>nvrtcResult</c>.</summary>
internal sealed unsafe class NvrtcApi
{
    private static readonly Lock loadGate = new();
    private static (NvrtcApi? Api, string? Failure)? shared;

    public readonly delegate* unmanaged<int*, int*, int> nvrtcVersion;
    public readonly delegate* unmanaged<int, byte*> nvrtcGetErrorString;
    public readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
    public readonly delegate* unmanaged<nint, int, byte**, int> nvrtcCompileProgram;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetPTXSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetPTX;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetCUBINSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetCUBIN;
    public readonly delegate* unmanaged<nint, nuint*, int> nvrtcGetProgramLogSize;
    public readonly delegate* unmanaged<nint, byte*, int> nvrtcGetProgramLog;
    public readonly delegate* unmanaged<nint*, int> nvrtcDestroyProgram;
    public readonly delegate* unmanaged<int*, int> nvrtcGetNumSupportedArchs;
    public readonly delegate* unmanaged<int*, int> nvrtcGetSupportedArchs;

    private NvrtcApi(NativeExports library)
    {
        LoadedFrom = library.LoadedFrom;
        nvrtcVersion = (delegate* unmanaged<int*, int*, int>)library.Get("nvrtcVersion");
        nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)library.Get("nvrtcGetErrorString");
        nvrtcCreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)library.Get("nvrtcCreateProgram");
        nvrtcCompileProgram = (delegate* unmanaged<nint, int, byte**, int>)library.Get("nvrtcCompileProgram");
        nvrtcGetPTXSize = (delegate* unmanaged<nint, nuint*, int>)library.Get("nvrtcGetPTXSize");
        nvrtcGetPTX = (delegate* unmanaged<nint, byte*, int>)library.Get("nvrtcGetPTX");
        // CUBIN output (11.1) and the list of supported architectures (11.2) are newer than the rest.
        nvrtcGetCUBINSize = (delegate* unmanaged<nint, nuint*, int>)library.GetOptional("nvrtcGetCUBINSize");
        nvrtcGetCUBIN = (delegate* unmanaged<nint, byte*, int>)library.GetOptional("nvrtcGetCUBIN");
        nvrtcGetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)library.Get("nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = (delegate* unmanaged<nint, byte*, int>)library.Get("nvrtcGetProgramLog");
        nvrtcDestroyProgram = (delegate* unmanaged<nint*, int>)library.Get("nvrtcDestroyProgram");
        nvrtcGetNumSupportedArchs = (delegate* unmanaged<int*, int>)library.GetOptional("nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = (delegate* unmanaged<int*, int>)library.GetOptional("nvrtcGetSupportedArchs");
        int major, minor;
        Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
        Version = new Version(major, minor);
    }

    /// <summary>The library file that loaded.</summary>
    public string LoadedFrom { get; }

    /// <summary>NVRTC's own version (part of every cache key).</summary>
    public Version Version { get; }

    /// <summary>Whether NVRTC can emit a CUBIN, which the driver loads without a JIT step.</summary>
    public bool CanEmitCubin => nvrtcGetCUBINSize != null && nvrtcGetCUBIN != null;

    /// <summary>NVRTC, searched for once per process (a failed search is remembered too).</summary>
    /// <param name="driverMajor">The driver's CUDA major version, to prefer an NVRTC it can run.</param>
    /// <param name="failure">Why no NVRTC could be loaded.</param>
    public static NvrtcApi? TryGet(int? driverMajor, out string? failure)
    {
        lock (loadGate)
        {
            shared ??= Load(driverMajor);
            failure = shared.Value.Failure;
            return shared.Value.Api;
        }
    }

    /// <summary>The GPU architectures (e.g. 90 for sm_90) NVRTC can target, or null when it cannot say.</summary>
    public IReadOnlyList<int>? SupportedArchitectures()
    {
        if (nvrtcGetNumSupportedArchs == null || nvrtcGetSupportedArchs == null)
            return null;
        int count;
        if (nvrtcGetNumSupportedArchs(&count) != NvrtcResultNames.Success || count <= 0)
            return null;
        var architectures = new int[count];
        fixed (int* destination = architectures)
            if (nvrtcGetSupportedArchs(destination) != NvrtcResultNames.Success)
                return null;
        return architectures;
    }

    /// <summary>NVRTC's text for <paramref name="result"/>, which is the result's <c>nvrtc.h</c> name.</summary>
    public string ErrorName(int result)
    {
        byte* text = nvrtcGetErrorString(result);
        return text == null ? NvrtcResultNames.Get(result) : Marshal.PtrToStringUTF8((nint)text) ?? NvrtcResultNames.Get(result);
    }

    /// <summary>Throws a <see cref="GpuException"/> unless <paramref name="result"/> is <c>NVRTC_SUCCESS</c>.</summary>
    public void Check(int result, string action)
    {
        if (result != NvrtcResultNames.Success)
            throw new GpuException(ErrorName(result), action);
    }

    private static (NvrtcApi?, string?) Load(int? driverMajor)
    {
        var candidates = NvrtcLibraryLocator.Candidates(NvrtcLibraryLocator.ForThisProcess(driverMajor));
        var library = NativeExports.TryLoad(candidates);
        string wanted = OperatingSystem.IsWindows() ? "nvrtc64_*.dll" : "libnvrtc.so";
        if (library is null)
            return (null, $"{wanted} not found (NVRTC is needed to build kernels; searched {candidates.Count} places)");
        try
        {
            return (new NvrtcApi(library), null);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or GpuException)
        {
            return (null, $"{library.LoadedFrom} is unusable: {e.Message}");
        }
    }
}
