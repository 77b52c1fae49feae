using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Core.OpenCL;

namespace Gpu.Tests.OpenCL;

/// <summary>What the OpenCL backend decides without a device: build options and peak estimates.</summary>
public sealed class OpenCLPlanningTests
{
    [Test]
    public void DivisionAndSqrtRoundLikeCSharpUnlessTheKernelAsksForFastMath()
    {
        Assert.That(OpenCLAccelerator.BuildOptions(new KernelCompileOptions(false, FastMath: false), correctlyRoundedDivideSqrt: true),
            Is.EqualTo("-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt"));
        Assert.That(OpenCLAccelerator.BuildOptions(new KernelCompileOptions(true, FastMath: true), correctlyRoundedDivideSqrt: true),
            Is.EqualTo("-cl-std=CL1.2 -cl-fast-relaxed-math"));
    }

    [Test]
    public void ADeviceWithoutCorrectlyRoundedDivisionIsNotAskedForIt()
        => Assert.That(OpenCLAccelerator.BuildOptions(new KernelCompileOptions(false, FastMath: false), correctlyRoundedDivideSqrt: false),
            Is.EqualTo("-cl-std=CL1.2"));

    [Test]
    public void CpuPeakCountsNativeLanesAndTwoFmaUnits()
    {
        // A 2-core AVX2 host at 2445 MHz: 2 × 8 × 2 × 2 × 2.445 GHz.
        var (gflops, source) = OpenCLPeak.Estimate(DeviceHardware.Cpu, "AuthenticAMD", 2, 8, 2445);
        Assert.That(gflops, Is.EqualTo(156.48).Within(1e-9));
        Assert.That(source, Does.Contain("8 native float lanes").And.Contain("2 FMA units"));
    }

    [Test]
    public void Avx512CpuReportsSixteenLanes()
        => Assert.That(OpenCLPeak.Estimate(DeviceHardware.Cpu, "GenuineIntel", 32, 16, 2000).Gflops, Is.EqualTo(32 * 16 * 2 * 2 * 2.0).Within(1e-9));

    [TestCase("NVIDIA Corporation", 128)]
    [TestCase("Advanced Micro Devices, Inc.", 64)]
    [TestCase("AMD", 64)]
    [TestCase("Intel(R) Corporation", 8)]
    public void GpuLanesPerComputeUnitFollowTheVendor(string vendor, int lanes)
        => Assert.That(OpenCLPeak.GpuLanesPerComputeUnit(OpenCLPeak.VendorOf(vendor)), Is.EqualTo(lanes));

    [Test]
    public void PeakOfAnH100SeenThroughOpenCLMatchesItsDatasheet()
    {
        // H100 SXM5: 132 SMs at 1980 MHz; NVIDIA quotes 67 TFLOP/s FP32.
        var (gflops, source) = OpenCLPeak.Estimate(DeviceHardware.Gpu, "NVIDIA Corporation", 132, 1, 1980);
        Assert.That(gflops, Is.EqualTo(67_000).Within(0.5).Percent);
        Assert.That(source, Does.Contain("132 compute units × 128 FP32 lanes"));
    }

    [Test]
    public void PeakOfAnIntelUhd630MatchesItsDatasheet()
    {
        // UHD Graphics 630: 24 EUs at 1150 MHz; Intel quotes 441.6 GFLOP/s FP32.
        Assert.That(OpenCLPeak.Estimate(DeviceHardware.Gpu, "Intel(R) Corporation", 24, 1, 1150).Gflops, Is.EqualTo(441.6).Within(1e-9));
    }

    [Test]
    public void UnknownVendorFallsBackToNativeLanesAndSaysSo()
    {
        var (gflops, source) = OpenCLPeak.Estimate(DeviceHardware.Gpu, "ARM", 4, 4, 1000);
        Assert.That(gflops, Is.EqualTo(4 * 4 * 2 * 1.0).Within(1e-9));
        Assert.That(source, Does.Contain("no lane table"));
    }

    [Test]
    public void MissingClockMakesThePeakUnknown()
    {
        var (gflops, source) = OpenCLPeak.Estimate(DeviceHardware.Cpu, "x", 4, 8, 0);
        Assert.That(gflops, Is.Zero);
        Assert.That(source, Does.Contain("unknown"));
    }
}
