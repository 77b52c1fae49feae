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

    /// <summary>Each backend's discovery, run when a device of that backend is first asked for:
    /// opening <c>cpu</c> loads no GPU runtime, whose initialisation can change the process
    /// (signal handlers, threads, environment).</summary>
    private static readonly Lazy<(IReadOnlyList<Device> Devices, BackendStatus Status)>[] discoveries =
        [.. backends.Select(backend => new Lazy<(IReadOnlyList<Device>, BackendStatus)>(() => Discover(backend)))];

    /// <summary>Every device found, CPU first.</summary>
    public static IReadOnlyList<Device> All => [.. discoveries.SelectMany(d => d.Value.Devices)];

    /// <summary>Each runtime, how many devices it found, and why it found none.</summary>
    public static IReadOnlyList<BackendStatus> Backends => [.. discoveries.Select(d => d.Value.Status)];

    /// <summary>The device named by <c>GPUC_DEVICE</c>; otherwise the first CUDA device, then the
    /// first OpenCL GPU, then the CPU.</summary>
    /// <exception cref="DeviceNotFoundException"><c>GPUC_DEVICE</c> names no device; the message names the variable.</exception>
    public static Device Default
    {
        get
        {
            string? requested = Environment.GetEnvironmentVariable(DefaultDeviceVariable);
            if (!string.IsNullOrWhiteSpace(requested))
                return Find(requested) ?? throw NotFound(requested, DefaultDeviceVariable);
            var all = All;
            return all.FirstOrDefault(d => d.Kind == DeviceKind.Cuda)
                ?? all.FirstOrDefault(d => d.Kind == DeviceKind.OpenCL && d.Hardware == DeviceHardware.Gpu)
                ?? all[0];
        }
    }

    /// <summary>The device of the given name (<c>cpu</c>, <c>opencl:N</c>, <c>cuda:N</c>; case-insensitive).</summary>
    /// <param name="name">The device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="DeviceNotFoundException">No such device; the message lists those that exist.</exception>
    public static Device Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Find(name) ?? throw NotFound(name, null);
    }

    /// <summary>Opens the device of the given name.</summary>
    /// <param name="name">The device name.</param>
    /// <returns>An accelerator the caller disposes.</returns>
    /// <exception cref="DeviceNotFoundException">No such device.</exception>
    public static Accelerator Open(string name) => Get(name).Open();

    /// <summary>The named device, discovering only the backend its prefix names when there is one.</summary>
    private static Device? Find(string name)
    {
        string trimmed = name.Trim();
        string prefix = trimmed.Split(':')[0];
        int backend = Array.FindIndex(backends, b => string.Equals(b.DevicePrefix, prefix, StringComparison.OrdinalIgnoreCase));
        var candidates = backend >= 0 ? discoveries[backend].Value.Devices : All;
        return candidates.FirstOrDefault(d => string.Equals(d.Name, trimmed, StringComparison.OrdinalIgnoreCase));
    }

    private static DeviceNotFoundException NotFound(string name, string? variable)
        => new(name, All.Select(d => d.Name), Backends.Where(b => b.UnavailableReason is not null).Select(b => $"{b.Backend} ({b.UnavailableReason})"), variable);

    private static (IReadOnlyList<Device>, BackendStatus) Discover(IDeviceBackend backend)
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
        return (found, new BackendStatus(backend.Name, found.Count, found.Count == 0 ? reason ?? "no devices" : null));
    }
}
