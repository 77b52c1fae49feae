namespace Gpu.Tests.OpenCL;

/// <summary>The OpenCL entries of <see cref="TestDevices"/>: each <c>opencl:N</c>, or the ignored
/// entry giving the reason there is none. Tests on these run hand-written OpenCL C, so they do not
/// wait for the kernel compiler.</summary>
public static class OpenCLTestDevices
{
    public static IEnumerable<TestFixtureData> Fixtures()
        => TestDevices.Fixtures().Where(f => ((string)f.Arguments[0]!).StartsWith("opencl", StringComparison.Ordinal));
}
