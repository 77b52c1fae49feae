using Gpu.Core;

namespace Gpu.Tests;

/// <summary>The devices every device-parameterised fixture runs on: each device found here, plus one
/// ignored entry per runtime that found none, so a missing backend shows as skipped with its reason.
/// <c>GPUC_TEST_DEVICES</c> (comma-separated names or kinds, e.g. <c>cuda</c>) narrows the list.</summary>
public static class TestDevices
{
    public const string FilterVariable = "GPUC_TEST_DEVICES";

    /// <summary>The test-only engine over ILGPU's CPU accelerator (an emulator).</summary>
    public const string IlgpuCpu = "ilgpu-cpu";

    public static IEnumerable<TestFixtureData> Fixtures()
    {
        string[] filter = Filter(Environment.GetEnvironmentVariable(FilterVariable), Devices.All.Select(d => d.Name).Concat(Devices.Backends.Select(b => b.Backend)));
        bool Wanted(string name, string kind) => filter.Length == 0
            || filter.Any(f => f.Equals(name, StringComparison.OrdinalIgnoreCase) || f.Equals(kind, StringComparison.OrdinalIgnoreCase));

        foreach (var device in Devices.All.Where(d => Wanted(d.Name, d.Kind.ToString())))
            yield return new TestFixtureData(device.Name).SetArgDisplayNames(device.Name);
        foreach (var backend in Devices.Backends.Where(b => b.DeviceCount == 0 && Wanted(b.Backend, b.Backend)))
            yield return new TestFixtureData(backend.Backend.ToLowerInvariant())
                .SetArgDisplayNames(backend.Backend.ToLowerInvariant())
                .Ignore($"no {backend.Backend} device: {backend.UnavailableReason}");
    }

    /// <summary><see cref="Fixtures"/> and the test-only engine over ILGPU's CPU accelerator, unless
    /// <c>GPUC_TEST_DEVICES</c> leaves out the CPU.</summary>
    public static IEnumerable<TestFixtureData> FixturesWithIlgpuCpu()
    {
        var fixtures = Fixtures().ToList();
        string? filter = Environment.GetEnvironmentVariable(FilterVariable);
        if (string.IsNullOrWhiteSpace(filter) || filter.Contains("cpu", StringComparison.OrdinalIgnoreCase))
            fixtures.Add(new TestFixtureData(IlgpuCpu).SetArgDisplayNames(IlgpuCpu));
        return fixtures;
    }

    /// <summary>The entries of a <c>GPUC_TEST_DEVICES</c> value; an entry naming no device or backend
    /// of <paramref name="known"/> is an error naming the variable, since it would otherwise run no test
    /// at all and report success.</summary>
    public static string[] Filter(string? value, IEnumerable<string> known)
    {
        string[] entries = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] names = [.. known];
        foreach (string entry in entries)
            if (!names.Any(n => n.Equals(entry, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidEnvironmentVariableException(FilterVariable, value!, $"comma-separated device names or kinds among {string.Join(", ", names)}");
        return entries;
    }
}

/// <summary>A fixture whose every test runs once per device (see <see cref="TestDevices"/>). A fixture of ops
/// whose kernels are written with ILGPU's types names <see cref="TestDevices.FixturesWithIlgpuCpu"/> instead, to
/// run on ILGPU's CPU accelerator too (issue 12's check (a)); that engine is not among <see cref="Devices"/>.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.Fixtures))]
public abstract class DeviceTest(string deviceName)
{
    private Accelerator? accelerator;

    protected string DeviceName { get; } = deviceName;

    protected Accelerator Accelerator => accelerator ?? throw new InvalidOperationException("The fixture has not opened its device.");

    [OneTimeSetUp]
    public void OpenDevice() => accelerator = OpenAccelerator();

    /// <summary>Opens another accelerator of the fixture's device, for tests of what outlives or follows
    /// one; the caller disposes it.</summary>
    protected Accelerator OpenAccelerator() => DeviceName == TestDevices.IlgpuCpu ? Gpu.Core.Ilgpu.IlgpuCpuDevice.Instance.Open() : Devices.Open(DeviceName);

    [OneTimeTearDown]
    public void CloseDevice() => accelerator?.Dispose();
}
