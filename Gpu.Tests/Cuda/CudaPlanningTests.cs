using Gpu.Core.Compiler;
using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

/// <summary>What the CUDA backend decides before it touches a GPU: targets, options, launch shapes, peaks.</summary>
public sealed class CudaPlanningTests
{
    [Test]
    public void DeviceArchitectureNvrtcKnowsIsBuiltAsMachineCode()
        => Assert.That(CudaTarget.Choose(90, [75, 80, 86, 89, 90], canEmitCubin: true), Is.EqualTo(new CudaTarget(90, Cubin: true)));

    [Test]
    public void NvrtcWithoutCubinOutputBuildsPtx()
        => Assert.That(CudaTarget.Choose(86, null, canEmitCubin: false).GpuArchitecture, Is.EqualTo("compute_86"));

    [Test]
    public void DeviceNewerThanNvrtcGetsPtxOfTheNewestOlderArchitecture()
    {
        var target = CudaTarget.Choose(120, [80, 90, 75], canEmitCubin: true);
        Assert.That(target, Is.EqualTo(new CudaTarget(90, Cubin: false)));
        Assert.That(target.GpuArchitecture, Is.EqualTo("compute_90"));
        Assert.That(target.Extension, Is.EqualTo("ptx"));
    }

    [Test]
    public void DeviceOlderThanEveryNvrtcArchitectureIsRejected()
        => Assert.That(() => CudaTarget.Choose(50, [75, 80], canEmitCubin: true),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("5.0"));

    [Test]
    public void ContractionIsOffUnlessTheKernelAsksForFastMath()
    {
        var target = new CudaTarget(90, Cubin: true);
        Assert.That(NvrtcCompiler.Options(target, new KernelCompileOptions(false, FastMath: false)),
            Is.EqualTo(new[] { "--gpu-architecture=sm_90", "--fmad=false" }));
        Assert.That(NvrtcCompiler.Options(target, new KernelCompileOptions(true, FastMath: true)),
            Is.EqualTo(new[] { "--gpu-architecture=sm_90", "--use_fast_math" }));
    }

    [TestCase(256, 256, false)]
    [TestCase(1, 256, true)]
    [TestCase(1000, 1024, true)]
    public void OneDimensionalLaunchUsesBlocksOf256(int length, int threads, bool guarded)
    {
        var geometry = CudaAccelerator.Plan(length, 1, 1, CudaAccelerator.BlockX1D, 1, 1);
        Assert.That((geometry.GlobalX, geometry.GlobalY, geometry.GlobalZ, geometry.LocalX, geometry.Guarded), Is.EqualTo((threads, 1, 1, 256, guarded)));
    }

    [Test]
    public void TwoDimensionalLaunchIsGuardedOnlyWhenPadded()
    {
        var exact = CudaAccelerator.Plan(64, 16, 1, CudaAccelerator.BlockX2D, CudaAccelerator.BlockY2D, 1);
        var padded = CudaAccelerator.Plan(37, 19, 1, CudaAccelerator.BlockX2D, CudaAccelerator.BlockY2D, 1);
        Assert.That((exact.GlobalX, exact.GlobalY, exact.Guarded), Is.EqualTo((64, 16, false)));
        Assert.That((padded.GlobalX, padded.GlobalY, padded.LocalX, padded.LocalY, padded.Guarded), Is.EqualTo((64, 24, 32, 8, true)));
    }

    [Test]
    public void ThreeDimensionalLaunchPadsEachDimension()
    {
        var geometry = CudaAccelerator.Plan(5, 7, 3, CudaAccelerator.BlockX3D, CudaAccelerator.BlockY3D, CudaAccelerator.BlockZ3D);
        Assert.That((geometry.GlobalX, geometry.GlobalY, geometry.GlobalZ, geometry.Guarded), Is.EqualTo((32, 8, 4, true)));
    }

    [Test]
    public void ExtentThatCannotBeRoundedUpIsRejected()
        => Assert.That(() => CudaAccelerator.Plan(int.MaxValue, 1, 1, CudaAccelerator.BlockX1D, 1, 1),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("split"));

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
