namespace Gpu.Core;

/// <summary>A runtime that can find devices. Discovery never throws for a missing driver or
/// library: it reports the reason instead.</summary>
internal interface IDeviceBackend
{
    /// <summary>The runtime's name, e.g. <c>OpenCL</c>.</summary>
    string Name { get; }

    /// <summary>Finds this runtime's devices.</summary>
    /// <param name="unavailableReason">Why there are none, when the list is empty.</param>
    /// <returns>The devices, in the runtime's order.</returns>
    IReadOnlyList<Device> Discover(out string? unavailableReason);
}
