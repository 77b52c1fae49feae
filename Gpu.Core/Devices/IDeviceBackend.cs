namespace Gpu.Core;

/// <summary>A runtime that can find devices. Discovery never throws for a missing driver or
/// library: it reports the reason instead.</summary>
internal interface IDeviceBackend
{
    /// <summary>The runtime's name, e.g. <c>OpenCL</c>.</summary>
    string Name { get; }

    /// <summary>What its device names start with before the colon: <c>cpu</c>, <c>opencl</c>, <c>cuda</c>.</summary>
    string DevicePrefix { get; }

    /// <summary>Finds this runtime's devices.</summary>
    /// <param name="unavailableReason">Why there are none, when the list is empty.</param>
    /// <returns>The devices, in the runtime's order.</returns>
    IReadOnlyList<Device> Discover(out string? unavailableReason);
}
