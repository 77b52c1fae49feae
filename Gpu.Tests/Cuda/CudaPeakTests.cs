using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

/// <summary>The CUDA devices' peak figures, computed from what the driver reports before any GPU work.</summary>
public sealed class CudaPeakTests
{
    [TestCase(7, 0, 64)]
    [TestCase(7, 5, 64)]
    [TestCase(8, 0, 64)]
    [TestCase(8, 6, 128)]
    [TestCase(8, 9, 128)]
    [TestCase(9, 0, 128)]
    [TestCase(10, 0, 128)]
    [TestCase(12, 0, 128)]
    public void Fp32LanesFollowTheComputeCapability(int major, int minor, int lanes)
        => Assert.That(CudaPeak.Fp32LanesPerSm(major, minor), Is.EqualTo(lanes));

    [Test]
    public void PeaksOfAnH100MatchItsDatasheet()
    {
        // H100 SXM5: 132 SMs at 1980 MHz, HBM3 at 2619 MHz on a 5120-bit bus; NVIDIA quotes
        // 67 TFLOP/s FP32 and 3.35 TB/s.
        var (gflops, gbps, source) = CudaPeak.Estimate(132, 9, 0, 1_980_000, 2_619_000, 5120);
        Assert.That(gflops, Is.EqualTo(67_000).Within(0.5).Percent);
        Assert.That(gbps, Is.EqualTo(3_350).Within(0.5).Percent);
        Assert.That(source, Does.Contain("132 SMs").And.Contain("5120-bit"));
    }

    [Test]
    public void MissingMemoryClockMakesTheBandwidthUnknown()
    {
        var (gflops, gbps, source) = CudaPeak.Estimate(132, 9, 0, 1_980_000, 0, 5120);
        Assert.That(gflops, Is.GreaterThan(0));
        Assert.That(gbps, Is.Zero);
        Assert.That(source, Does.Contain("bandwidth unknown"));
    }
}
