using ILGPU;
using ILGPU.Runtime.OpenCL;

namespace Gpu.Core.OpenCL;

/// <summary>Which engine runs an OpenCL device: ILGPU's OpenCL accelerator where the device has the generic
/// address space ILGPU's OpenCL backend needs, the project's OpenCL 1.2 translator elsewhere.
/// <c>GPUC_OPENCL_ENGINE</c> overrides the choice for every device (<c>auto</c>, <c>translator</c>, <c>ilgpu</c>),
/// e.g. to compare the two engines on one device or to step around a driver's bug in one of them.</summary>
internal static class IlgpuOpenCL
{
    /// <summary>The environment variable choosing the OpenCL engine.</summary>
    public const string EngineVariable = "GPUC_OPENCL_ENGINE";

    // One ILGPU context for every OpenCL device the process opens through ILGPU, created only when one is.
    private static readonly Lazy<Context> context = new(() => Context.Create(builder => builder.OpenCL().EnableAlgorithms().Profiling()));

    /// <summary>The engine for a device of the given version, and whether it is ILGPU's.</summary>
    /// <exception cref="InvalidEnvironmentVariableException"><c>GPUC_OPENCL_ENGINE</c> holds anything else than the three choices.</exception>
    public static (DeviceEngine Engine, bool UsesIlgpu) Choose(string version, bool genericAddressSpace)
    {
        string? requested = Environment.GetEnvironmentVariable(EngineVariable)?.Trim().ToLowerInvariant();
        string device = version.Trim();
        return requested switch
        {
            null or "" or "auto" => genericAddressSpace
                ? (new DeviceEngine("ILGPU OpenCL", $"{device} has the generic address space ILGPU's OpenCL backend needs"), true)
                : (Translator($"{device} lacks the generic address space ILGPU's OpenCL backend needs; the translator emits OpenCL C 1.2"), false),
            "translator" => (Translator($"{EngineVariable}=translator"), false),
            "ilgpu" => genericAddressSpace
                ? (new DeviceEngine("ILGPU OpenCL", $"{EngineVariable}=ilgpu"), true)
                : (Translator($"{EngineVariable}=ilgpu, but {device} lacks the generic address space ILGPU's OpenCL backend needs"), false),
            _ => throw new InvalidEnvironmentVariableException(EngineVariable, requested, "auto, translator or ilgpu"),
        };
    }

    private static DeviceEngine Translator(string reason) => new("OpenCL 1.2 engine (the project's translator)", reason);

    /// <summary>ILGPU's OpenCL accelerator on <paramref name="device"/>, found among ILGPU's devices by its <c>cl_device_id</c>.</summary>
    /// <exception cref="GpuException">ILGPU does not list the device.</exception>
    public static CLAccelerator Open(OpenCLDevice device)
    {
        foreach (var candidate in context.Value.GetCLDevices())
            if (candidate.DeviceId == device.Handle)
                return candidate.CreateCLAccelerator(context.Value);
        throw new GpuException("CL_DEVICE_NOT_FOUND", $"ILGPU's OpenCL runtime does not list {device.Name} ({device.DisplayName}); set {EngineVariable}=translator to run it on the OpenCL 1.2 engine.");
    }
}
