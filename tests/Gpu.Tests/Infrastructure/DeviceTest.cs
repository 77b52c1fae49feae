using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests;

/// <summary>The devices every device-parameterised fixture runs on: each device found here, plus one
/// ignored entry per runtime that found none, so a missing backend shows as skipped with its reason.
/// <c>GPUC_TEST_DEVICES</c> (comma-separated names or kinds, e.g. <c>cuda</c>) narrows the list.</summary>
public static class TestDevices
{
    public const string FilterVariable = "GPUC_TEST_DEVICES";

    public static IEnumerable<TestFixtureData> Fixtures()
    {
        string[] filter = (Environment.GetEnvironmentVariable(FilterVariable) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Wanted(string name, string kind) => filter.Length == 0
            || filter.Any(f => f.Equals(name, StringComparison.OrdinalIgnoreCase) || f.Equals(kind, StringComparison.OrdinalIgnoreCase));

        foreach (var device in Devices.All.Where(d => Wanted(d.Name, d.Kind.ToString())))
            yield return new TestFixtureData(device.Name).SetArgDisplayNames(device.Name);
        foreach (var backend in Devices.Backends.Where(b => b.DeviceCount == 0 && Wanted(b.Backend, b.Backend)))
            yield return new TestFixtureData(backend.Backend.ToLowerInvariant())
                .SetArgDisplayNames(backend.Backend.ToLowerInvariant())
                .Ignore($"no {backend.Backend} device: {backend.UnavailableReason}");
    }

    /// <summary><see cref="Fixtures"/> for tests that launch kernels written in C#: a device that
    /// runs them through the kernel compiler is skipped, with the compiler's own message, while the
    /// compiler cannot translate a trivial kernel for its dialect.</summary>
    public static IEnumerable<TestFixtureData> KernelFixtures()
    {
        foreach (var fixture in Fixtures())
        {
            var device = Devices.All.FirstOrDefault(d => d.Name == (string)fixture.Arguments[0]!);
            if (device is not null && CompilerGap(device.Kind) is { } gap)
                fixture.Ignore($"the kernel compiler cannot translate yet: {gap}");
            yield return fixture;
        }
    }

    private static readonly Dictionary<KernelDialect, string?> compilerGaps = [];

    private static string? CompilerGap(DeviceKind kind)
    {
        if (kind == DeviceKind.Cpu)
            return null;
        var dialect = kind == DeviceKind.Cuda ? KernelDialect.Cuda : KernelDialect.OpenCL;
        lock (compilerGaps)
        {
            if (!compilerGaps.TryGetValue(dialect, out string? gap))
            {
                try
                {
                    KernelCompiler.Generate(typeof(CompilerProbeKernel), KernelShape.OneD, dialect, new KernelCompileOptions(Guarded: false, FastMath: false));
                }
                catch (KernelCompilationException e)
                {
                    gap = e.Message;
                }
                compilerGaps[dialect] = gap;
            }
            return gap;
        }
    }

    public struct CompilerProbeKernel : IKernel1D
    {
        public View<float> Data;

        public void Execute(int index) => Data[index] = index;
    }
}

/// <summary>A fixture whose every test runs once per device (see <see cref="TestDevices.KernelFixtures"/>).</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.KernelFixtures))]
public abstract class DeviceTest(string deviceName)
{
    private Accelerator? accelerator;

    protected string DeviceName { get; } = deviceName;

    protected Accelerator Accelerator => accelerator ?? throw new InvalidOperationException("The fixture has not opened its device.");

    [OneTimeSetUp]
    public void OpenDevice() => accelerator = Devices.Open(DeviceName);

    [OneTimeTearDown]
    public void CloseDevice() => accelerator?.Dispose();
}
