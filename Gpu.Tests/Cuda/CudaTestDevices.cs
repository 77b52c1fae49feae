namespace Gpu.Tests.Cuda;

/// <summary>The CUDA entries of <see cref="TestDevices"/>: each <c>cuda:N</c>, or the ignored
/// entry giving the reason there is none.</summary>
public static class CudaTestDevices
{
    public static IEnumerable<TestFixtureData> Fixtures()
        => TestDevices.Fixtures().Where(f => ((string)f.Arguments[0]!).StartsWith("cuda", StringComparison.Ordinal));
}
