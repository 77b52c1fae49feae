using Gpu.Core;

namespace Gpu.Ops;

/// <summary>Which schedule of a kernel suits a device: the algorithm stays one C# source, the
/// schedule (grouping, tiling, what a work item computes) is chosen per device here.</summary>
internal static class KernelSchedules
{
    /// <summary>Whether the device runs work items as loops on a host processor (an OpenCL CPU
    /// runtime such as PoCL). There, group barriers split a kernel into loops whose live values go
    /// to memory between them, so the register-blocked schedules without barriers or shared memory
    /// win (docs/opencl-engine.md, section 3).</summary>
    public static bool PrefersBarrierFreeSchedule(this Device device)
        => device.Kind == DeviceKind.OpenCL && device.Hardware == DeviceHardware.Cpu;
}
