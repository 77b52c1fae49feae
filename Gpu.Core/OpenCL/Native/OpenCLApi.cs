using System.Runtime.InteropServices;
using System.Text;
using Gpu.Core.Native;

namespace Gpu.Core.OpenCL.Native;

/// <summary>The OpenCL 1.2 entry points this backend calls, resolved once from the ICD loader
/// (<c>libOpenCL.so.1</c>; <c>OpenCL.dll</c> on Windows). Bound through function pointers like the
/// CUDA driver rather than <c>LibraryImport</c>, so that a missing loader is a reason instead of a
/// <see cref="DllNotFoundException"/> at the first call, and so tests can point the binding at a
/// library that does not exist. Handles are opaque pointers, sizes <c>size_t</c>, and every call
/// reports a <c>cl_int</c>; <see cref="Check"/> turns a failure into a <see cref="GpuException"/>
/// carrying its name from <see cref="OpenCLErrorNames"/>.</summary>
internal sealed unsafe class OpenCLApi
{
    /// <summary>The names tried, in order, to find the loader; the first names it in messages.</summary>
    public static IReadOnlyList<string> DefaultCandidates { get; } =
        OperatingSystem.IsWindows() ? ["OpenCL.dll"]
        : OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"]
        : ["libOpenCL.so.1", "libOpenCL.so"];

    public const ulong DeviceTypeCpu = 1 << 1, DeviceTypeGpu = 1 << 2, DeviceTypeAll = 0xFFFFFFFF;
    public const ulong QueueProfilingEnable = 1 << 1;
    public const ulong MemReadWrite = 1 << 0;
    /// <summary><c>CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT</c> in <c>CL_DEVICE_SINGLE_FP_CONFIG</c>.</summary>
    public const ulong FpCorrectlyRoundedDivideSqrt = 1 << 7;

    public const uint PlatformName = 0x0902;

    public const uint DeviceType = 0x1000, DeviceMaxComputeUnits = 0x1002, DeviceMaxWorkGroupSize = 0x1004,
        DeviceMaxClockFrequency = 0x100C, DeviceMaxMemAllocSize = 0x1010, DeviceSingleFpConfig = 0x101B,
        DeviceGlobalMemSize = 0x101F, DeviceLocalMemSize = 0x1023,
        DeviceName = 0x102B, DeviceVendor = 0x102C, DeviceVersion = 0x102F, DeviceDoubleFpConfig = 0x1032,
        DeviceNativeVectorWidthFloat = 0x103A, DeviceGenericAddressSpaceSupport = 0x1069, DeviceWarpSizeNv = 0x4003, DeviceWavefrontWidthAmd = 0x4043;

    public const uint ProgramBuildLog = 0x1183;
    public const uint KernelWorkGroupSize = 0x11B0;
    public const uint ProfilingCommandStart = 0x1282, ProfilingCommandEnd = 0x1283;

    private static readonly Lazy<(OpenCLApi? Api, string? Failure)> shared = new(() => Load(DefaultCandidates));

    public readonly delegate* unmanaged<uint, nint*, uint*, int> clGetPlatformIDs;
    public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> clGetPlatformInfo;
    public readonly delegate* unmanaged<nint, ulong, uint, nint*, uint*, int> clGetDeviceIDs;
    public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> clGetDeviceInfo;
    public readonly delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint> clCreateContext;
    public readonly delegate* unmanaged<nint, int> clReleaseContext;
    public readonly delegate* unmanaged<nint, nint, ulong, int*, nint> clCreateCommandQueue;
    public readonly delegate* unmanaged<nint, int> clReleaseCommandQueue;
    public readonly delegate* unmanaged<nint, int> clFinish;
    public readonly delegate* unmanaged<nint, ulong, nuint, void*, int*, nint> clCreateBuffer;
    public readonly delegate* unmanaged<nint, int> clReleaseMemObject;
    public readonly delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> clEnqueueReadBuffer;
    public readonly delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> clEnqueueWriteBuffer;
    public readonly delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int> clEnqueueCopyBuffer;
    public readonly delegate* unmanaged<nint, nint, void*, nuint, nuint, nuint, uint, nint*, nint*, int> clEnqueueFillBuffer;
    public readonly delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint> clCreateProgramWithSource;
    public readonly delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int> clBuildProgram;
    public readonly delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> clGetProgramBuildInfo;
    public readonly delegate* unmanaged<nint, int> clReleaseProgram;
    public readonly delegate* unmanaged<nint, byte*, int*, nint> clCreateKernel;
    public readonly delegate* unmanaged<nint, int> clReleaseKernel;
    public readonly delegate* unmanaged<nint, uint, nuint, void*, int> clSetKernelArg;
    public readonly delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> clGetKernelWorkGroupInfo;
    public readonly delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int> clEnqueueNDRangeKernel;
    public readonly delegate* unmanaged<uint, nint*, int> clWaitForEvents;
    public readonly delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> clGetEventProfilingInfo;
    public readonly delegate* unmanaged<nint, int> clRetainEvent;
    public readonly delegate* unmanaged<nint, int> clReleaseEvent;

    private OpenCLApi(NativeExports library)
    {
        LoadedFrom = library.LoadedFrom;
        clGetPlatformIDs = (delegate* unmanaged<uint, nint*, uint*, int>)library.Get("clGetPlatformIDs");
        clGetPlatformInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)library.Get("clGetPlatformInfo");
        clGetDeviceIDs = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)library.Get("clGetDeviceIDs");
        clGetDeviceInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)library.Get("clGetDeviceInfo");
        clCreateContext = (delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint>)library.Get("clCreateContext");
        clReleaseContext = (delegate* unmanaged<nint, int>)library.Get("clReleaseContext");
        clCreateCommandQueue = (delegate* unmanaged<nint, nint, ulong, int*, nint>)library.Get("clCreateCommandQueue");
        clReleaseCommandQueue = (delegate* unmanaged<nint, int>)library.Get("clReleaseCommandQueue");
        clFinish = (delegate* unmanaged<nint, int>)library.Get("clFinish");
        clCreateBuffer = (delegate* unmanaged<nint, ulong, nuint, void*, int*, nint>)library.Get("clCreateBuffer");
        clReleaseMemObject = (delegate* unmanaged<nint, int>)library.Get("clReleaseMemObject");
        clEnqueueReadBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)library.Get("clEnqueueReadBuffer");
        clEnqueueWriteBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)library.Get("clEnqueueWriteBuffer");
        clEnqueueCopyBuffer = (delegate* unmanaged<nint, nint, nint, nuint, nuint, nuint, uint, nint*, nint*, int>)library.Get("clEnqueueCopyBuffer");
        clEnqueueFillBuffer = (delegate* unmanaged<nint, nint, void*, nuint, nuint, nuint, uint, nint*, nint*, int>)library.Get("clEnqueueFillBuffer");
        clCreateProgramWithSource = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)library.Get("clCreateProgramWithSource");
        clBuildProgram = (delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int>)library.Get("clBuildProgram");
        clGetProgramBuildInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)library.Get("clGetProgramBuildInfo");
        clReleaseProgram = (delegate* unmanaged<nint, int>)library.Get("clReleaseProgram");
        clCreateKernel = (delegate* unmanaged<nint, byte*, int*, nint>)library.Get("clCreateKernel");
        clReleaseKernel = (delegate* unmanaged<nint, int>)library.Get("clReleaseKernel");
        clSetKernelArg = (delegate* unmanaged<nint, uint, nuint, void*, int>)library.Get("clSetKernelArg");
        clGetKernelWorkGroupInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)library.Get("clGetKernelWorkGroupInfo");
        clEnqueueNDRangeKernel = (delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int>)library.Get("clEnqueueNDRangeKernel");
        clWaitForEvents = (delegate* unmanaged<uint, nint*, int>)library.Get("clWaitForEvents");
        clGetEventProfilingInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)library.Get("clGetEventProfilingInfo");
        clRetainEvent = (delegate* unmanaged<nint, int>)library.Get("clRetainEvent");
        clReleaseEvent = (delegate* unmanaged<nint, int>)library.Get("clReleaseEvent");
    }

    /// <summary>The candidate name the loader was found under.</summary>
    public string LoadedFrom { get; }

    /// <summary>The loader found under <see cref="DefaultCandidates"/>, bound on first use, or null
    /// with the reason it is unusable.</summary>
    public static OpenCLApi? TryGet(out string? failure)
    {
        (var api, failure) = shared.Value;
        return api;
    }

    /// <summary>Binds the first of <paramref name="candidates"/> that loads, or returns null with
    /// the reason: no such library, or one too old to export OpenCL 1.2.</summary>
    /// <param name="candidates">File names or paths of the ICD loader.</param>
    public static (OpenCLApi? Api, string? Failure) Load(IReadOnlyList<string> candidates)
    {
        NativeEnvironment.DisablePoclSigfpeHandler();
        var library = NativeExports.TryLoad(candidates);
        if (library is null)
            return (null, $"{candidates[0]} not found (no OpenCL ICD loader installed)");
        try
        {
            return (new OpenCLApi(library), null);
        }
        catch (EntryPointNotFoundException e)
        {
            return (null, $"{library.LoadedFrom} lacks OpenCL 1.2: {e.Message}");
        }
    }

    /// <summary>Throws unless <paramref name="result"/> is <c>CL_SUCCESS</c>.</summary>
    /// <param name="result">The <c>cl_int</c> reported.</param>
    /// <param name="action">What was being done, for the message.</param>
    /// <exception cref="DeviceOutOfMemoryException">The device or host ran out of memory.</exception>
    /// <exception cref="GpuException">Any other failure.</exception>
    public static void Check(int result, string action)
    {
        if (result == OpenCLErrorNames.Success)
            return;
        throw Failure(result, action);
    }

    /// <summary>The exception for a failed call: out-of-memory codes become <see cref="DeviceOutOfMemoryException"/>.</summary>
    public static GpuException Failure(int result, string action)
    {
        string name = OpenCLErrorNames.Get(result);
        return result is OpenCLErrorNames.MemObjectAllocationFailure or OpenCLErrorNames.OutOfHostMemory
            ? new DeviceOutOfMemoryException(name, action)
            : new GpuException(name, action);
    }

    /// <summary>A string-valued platform property.</summary>
    public string PlatformString(nint platform, uint parameter)
        => ReadString((size, value, sizeReturned) => clGetPlatformInfo(platform, parameter, size, value, sizeReturned), $"Reading platform property 0x{parameter:x4}");

    /// <summary>A string-valued device property.</summary>
    public string DeviceString(nint device, uint parameter)
        => ReadString((size, value, sizeReturned) => clGetDeviceInfo(device, parameter, size, value, sizeReturned), $"Reading device property 0x{parameter:x4}");

    /// <summary>A fixed-size device property (<c>cl_uint</c>, <c>cl_ulong</c>, <c>size_t</c>, <c>cl_bool</c>).</summary>
    public T DeviceValue<T>(nint device, uint parameter) where T : unmanaged
    {
        T value = default;
        Check(clGetDeviceInfo(device, parameter, (nuint)sizeof(T), &value, null), $"Reading device property 0x{parameter:x4}");
        return value;
    }

    /// <summary>A fixed-size device property a device may not know (a vendor extension's), or null.</summary>
    public T? OptionalDeviceValue<T>(nint device, uint parameter) where T : unmanaged
    {
        T value = default;
        return clGetDeviceInfo(device, parameter, (nuint)sizeof(T), &value, null) == OpenCLErrorNames.Success ? value : null;
    }

    /// <summary>The build log of <paramref name="program"/> for <paramref name="device"/>.</summary>
    public string BuildLog(nint program, nint device)
        => ReadString((size, value, sizeReturned) => clGetProgramBuildInfo(program, device, ProgramBuildLog, size, value, sizeReturned), "Reading the build log");

    private delegate int InfoQuery(nuint size, void* value, nuint* sizeReturned);

    /// <summary>Asks for the size, then the bytes, of a NUL-terminated string property.</summary>
    private static string ReadString(InfoQuery query, string action)
    {
        nuint size;
        Check(query(0, null, &size), action);
        if (size == 0)
            return "";
        var bytes = new byte[(int)size];
        fixed (byte* buffer = bytes)
            Check(query(size, buffer, null), action);
        int end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }
}
