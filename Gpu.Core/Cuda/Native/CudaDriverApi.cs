using System.Runtime.InteropServices;
using Gpu.Core.Native;

namespace Gpu.Core.Cuda.Native;

/// <summary>The CUDA driver API entry points this backend calls, resolved once from
/// <c>libcuda.so.1</c> (<c>nvcuda.dll</c> on Windows). Handles are opaque pointers, device
/// addresses 64-bit (<c>CUdeviceptr</c> of the <c>_v2</c> API), sizes <c>size_t</c>, and every
/// function returns a <c>CUresult</c>; <see cref="Check"/> turns a failure into a
/// <see cref="GpuException"/> carrying the driver's name for it.</summary>
internal sealed unsafe class CudaDriverApi
{
    /// <summary>The driver library's file name on this platform.</summary>
    public static string LibraryName => OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";

    /// <summary><c>CU_MEMHOSTALLOC_PORTABLE</c>: the pinned memory counts as pinned in every context.</summary>
    public const uint HostAllocPortable = 1;

    /// <summary><c>CU_EVENT_DEFAULT</c>: an event that records timing.</summary>
    public const uint EventDefault = 0;

    /// <summary><c>CU_STREAM_DEFAULT</c>: a stream ordered with the legacy default stream.</summary>
    public const uint StreamDefault = 0;

    /// <summary><c>CUjit_option</c> values for <c>cuModuleLoadDataEx</c>.</summary>
    public const int JitInfoLogBuffer = 3, JitInfoLogBufferSizeBytes = 4, JitErrorLogBuffer = 5, JitErrorLogBufferSizeBytes = 6;

    private static readonly Lazy<(CudaDriverApi? Api, string? Failure)> shared = new(Load);

    public readonly delegate* unmanaged<uint, int> cuInit;
    public readonly delegate* unmanaged<int*, int> cuDriverGetVersion;
    public readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
    public readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
    public readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    public readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    public readonly delegate* unmanaged<int*, CudaDeviceAttribute, int, int> cuDeviceGetAttribute;
    public readonly delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem;
    public readonly delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
    public readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
    public readonly delegate* unmanaged<nint, int> cuCtxPushCurrent;
    public readonly delegate* unmanaged<nint*, int> cuCtxPopCurrent;
    public readonly delegate* unmanaged<int> cuCtxSynchronize;
    public readonly delegate* unmanaged<ulong*, nuint, int> cuMemAlloc;
    public readonly delegate* unmanaged<ulong, int> cuMemFree;
    public readonly delegate* unmanaged<ulong, void*, nuint, int> cuMemcpyHtoD;
    public readonly delegate* unmanaged<void*, ulong, nuint, int> cuMemcpyDtoH;
    public readonly delegate* unmanaged<ulong, ulong, nuint, int> cuMemcpyDtoD;
    public readonly delegate* unmanaged<ulong, void*, nuint, nint, int> cuMemcpyHtoDAsync;
    public readonly delegate* unmanaged<void*, ulong, nuint, nint, int> cuMemcpyDtoHAsync;
    public readonly delegate* unmanaged<ulong, ulong, nuint, nint, int> cuMemcpyDtoDAsync;
    public readonly delegate* unmanaged<ulong, byte, nuint, int> cuMemsetD8;
    public readonly delegate* unmanaged<void**, nuint, uint, int> cuMemHostAlloc;
    public readonly delegate* unmanaged<void*, int> cuMemFreeHost;
    public readonly delegate* unmanaged<nint*, uint, int> cuStreamCreate;
    public readonly delegate* unmanaged<nint, int> cuStreamSynchronize;
    public readonly delegate* unmanaged<nint, nint, uint, int> cuStreamWaitEvent;
    public readonly delegate* unmanaged<nint, int> cuStreamDestroy;
    public readonly delegate* unmanaged<nint*, uint, int> cuEventCreate;
    public readonly delegate* unmanaged<nint, nint, int> cuEventRecord;
    public readonly delegate* unmanaged<nint, int> cuEventSynchronize;
    public readonly delegate* unmanaged<float*, nint, nint, int> cuEventElapsedTime;
    public readonly delegate* unmanaged<nint, int> cuEventDestroy;
    public readonly delegate* unmanaged<nint*, void*, uint, int*, void**, int> cuModuleLoadDataEx;
    public readonly delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
    public readonly delegate* unmanaged<nint, int> cuModuleUnload;
    public readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;

    private CudaDriverApi(NativeExports library)
    {
        cuInit = (delegate* unmanaged<uint, int>)library.Get("cuInit");
        cuDriverGetVersion = (delegate* unmanaged<int*, int>)library.Get("cuDriverGetVersion");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)library.GetOptional("cuGetErrorName");
        cuDeviceGetCount = (delegate* unmanaged<int*, int>)library.Get("cuDeviceGetCount");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)library.Get("cuDeviceGet");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)library.Get("cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, CudaDeviceAttribute, int, int>)library.Get("cuDeviceGetAttribute");
        cuDeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)library.Get("cuDeviceTotalMem_v2");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)library.Get("cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)library.Get("cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        cuCtxPushCurrent = (delegate* unmanaged<nint, int>)library.Get("cuCtxPushCurrent_v2");
        cuCtxPopCurrent = (delegate* unmanaged<nint*, int>)library.Get("cuCtxPopCurrent_v2");
        cuCtxSynchronize = (delegate* unmanaged<int>)library.Get("cuCtxSynchronize");
        cuMemAlloc = (delegate* unmanaged<ulong*, nuint, int>)library.Get("cuMemAlloc_v2");
        cuMemFree = (delegate* unmanaged<ulong, int>)library.Get("cuMemFree_v2");
        cuMemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)library.Get("cuMemcpyHtoD_v2");
        cuMemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, int>)library.Get("cuMemcpyDtoH_v2");
        cuMemcpyDtoD = (delegate* unmanaged<ulong, ulong, nuint, int>)library.Get("cuMemcpyDtoD_v2");
        cuMemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)library.Get("cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)library.Get("cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)library.Get("cuMemcpyDtoDAsync_v2");
        cuMemsetD8 = (delegate* unmanaged<ulong, byte, nuint, int>)library.Get("cuMemsetD8_v2");
        cuMemHostAlloc = (delegate* unmanaged<void**, nuint, uint, int>)library.Get("cuMemHostAlloc");
        cuMemFreeHost = (delegate* unmanaged<void*, int>)library.Get("cuMemFreeHost");
        cuStreamCreate = (delegate* unmanaged<nint*, uint, int>)library.Get("cuStreamCreate");
        cuStreamSynchronize = (delegate* unmanaged<nint, int>)library.Get("cuStreamSynchronize");
        cuStreamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)library.Get("cuStreamWaitEvent");
        cuStreamDestroy = (delegate* unmanaged<nint, int>)library.Get("cuStreamDestroy_v2", "cuStreamDestroy");
        cuEventCreate = (delegate* unmanaged<nint*, uint, int>)library.Get("cuEventCreate");
        cuEventRecord = (delegate* unmanaged<nint, nint, int>)library.Get("cuEventRecord");
        cuEventSynchronize = (delegate* unmanaged<nint, int>)library.Get("cuEventSynchronize");
        cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)library.Get("cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = (delegate* unmanaged<nint, int>)library.Get("cuEventDestroy_v2", "cuEventDestroy");
        cuModuleLoadDataEx = (delegate* unmanaged<nint*, void*, uint, int*, void**, int>)library.Get("cuModuleLoadDataEx");
        cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)library.Get("cuModuleGetFunction");
        cuModuleUnload = (delegate* unmanaged<nint, int>)library.Get("cuModuleUnload");
        cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)library.Get("cuLaunchKernel");
    }

    /// <summary>The driver, loaded and initialised (<c>cuInit(0)</c>) on first use, or null with the
    /// reason it is unusable: library missing, an entry point missing, or <c>cuInit</c> failing.</summary>
    public static CudaDriverApi? TryGet(out string? failure)
    {
        (var api, failure) = shared.Value;
        return api;
    }

    /// <summary>The driver's version as <c>major * 1000 + minor * 10</c> (e.g. 12040).</summary>
    public int DriverVersion { get; private set; }

    /// <summary>Throws unless <paramref name="result"/> is <c>CUDA_SUCCESS</c>.</summary>
    /// <param name="result">The <c>CUresult</c> returned.</param>
    /// <param name="action">What was being done, for the message.</param>
    /// <exception cref="DeviceOutOfMemoryException">The result is <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</exception>
    /// <exception cref="GpuException">Any other failure.</exception>
    public void Check(int result, string action)
    {
        if (result == CudaResultNames.Success)
            return;
        string name = ErrorName(result);
        throw result == CudaResultNames.OutOfMemory ? new DeviceOutOfMemoryException(name, action) : new GpuException(name, action);
    }

    /// <summary>The driver's name for <paramref name="result"/>, falling back to the managed table.</summary>
    public string ErrorName(int result)
    {
        byte* name = null;
        if (cuGetErrorName != null && cuGetErrorName(result, &name) == CudaResultNames.Success && name != null)
            return Marshal.PtrToStringUTF8((nint)name) ?? CudaResultNames.Get(result);
        return CudaResultNames.Get(result);
    }

    private static (CudaDriverApi?, string?) Load()
    {
        string[] candidates = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
        var library = NativeExports.TryLoad(candidates);
        if (library is null)
            return (null, $"{LibraryName} not found (no NVIDIA driver installed)");
        CudaDriverApi api;
        try
        {
            api = new CudaDriverApi(library);
        }
        catch (EntryPointNotFoundException e)
        {
            return (null, $"{library.LoadedFrom} is too old: {e.Message}");
        }
        int initialised = api.cuInit(0);
        if (initialised != CudaResultNames.Success)
            return (null, $"cuInit failed: {api.ErrorName(initialised)}");
        int version;
        if (api.cuDriverGetVersion(&version) == CudaResultNames.Success)
            api.DriverVersion = version;
        return (api, null);
    }
}
