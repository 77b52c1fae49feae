using Gpu.Core.Cpu;

namespace Gpu.Core;

/// <summary>What one runtime found on this machine.</summary>
/// <param name="Backend">The runtime's name.</param>
/// <param name="DeviceCount">Devices it found.</param>
/// <param name="UnavailableReason">Why it found none, or null.</param>
public sealed record BackendStatus(string Backend, int DeviceCount, string? UnavailableReason);

/// <summary>Every device on this machine: the CPU, every OpenCL device of every platform and every
/// CUDA device. A runtime whose native library or driver is missing contributes no devices and a
/// reason in <see cref="Backends"/>.</summary>
public static class Devices
{
    /// <summary>The environment variable naming the default device.</summary>
    public const string DefaultDeviceVariable = "GPUC_DEVICE";

    private static readonly IDeviceBackend[] backends = [new CpuBackend(), new OpenCL.OpenCLBackend(), new Cuda.CudaBackend()];

    private static readonly Lazy<(IReadOnlyList<Device> Devices, IReadOnlyList<BackendStatus> Statuses)> discovery = new(Discover);

    /// <summary>Every device found, CPU first.</summary>
    public static IReadOnlyList<Device> All => discovery.Value.Devices;

    /// <summary>Each runtime, how many devices it found, and why it found none.</summary>
    public static IReadOnlyList<BackendStatus> Backends => discovery.Value.Statuses;

    /// <summary>The device named by <c>GPUC_DEVICE</c>; otherwise the first CUDA device, then the
    /// first OpenCL GPU, then the CPU.</summary>
    /// <exception cref="DeviceNotFoundException"><c>GPUC_DEVICE</c> names no device.</exception>
    public static Device Default
    {
        get
        {
            string? requested = Environment.GetEnvironmentVariable(DefaultDeviceVariable);
            if (!string.IsNullOrWhiteSpace(requested))
                return Get(requested);
            return All.FirstOrDefault(d => d.Kind == DeviceKind.Cuda)
                ?? All.FirstOrDefault(d => d.Kind == DeviceKind.OpenCL && d.Hardware == DeviceHardware.Gpu)
                ?? All[0];
        }
    }

    /// <summary>The device of the given name (<c>cpu</c>, <c>opencl:N</c>, <c>cuda:N</c>; case-insensitive).</summary>
    /// <param name="name">The device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="DeviceNotFoundException">No such device; the message lists those that exist.</exception>
    public static Device Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(d => string.Equals(d.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new DeviceNotFoundException(name, All.Select(d => d.Name),
                Backends.Where(b => b.UnavailableReason is not null).Select(b => $"{b.Backend} ({b.UnavailableReason})"));
    }

    /// <summary>Opens the device of the given name.</summary>
    /// <param name="name">The device name.</param>
    /// <returns>An accelerator the caller disposes.</returns>
    /// <exception cref="DeviceNotFoundException">No such device.</exception>
    public static Accelerator Open(string name) => Get(name).Open();

    private static (IReadOnlyList<Device>, IReadOnlyList<BackendStatus>) Discover()
    {
        var devices = new List<Device>();
        var statuses = new List<BackendStatus>();
        foreach (var backend in backends)
        {
            IReadOnlyList<Device> found;
            string? reason;
            try
            {
                found = backend.Discover(out reason);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or GpuException or BadImageFormatException)
            {
                (found, reason) = ([], e.Message);
            }
            devices.AddRange(found);
            statuses.Add(new BackendStatus(backend.Name, found.Count, found.Count == 0 ? reason ?? "no devices" : null));
        }
        return (devices, statuses);
    }
}
