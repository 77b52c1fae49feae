using Gpu.Conformance;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.OpenCL;

namespace Gpu.Tests.OpenCL;

/// <summary>The OpenCL accelerator on every OpenCL device, running hand-written OpenCL C through
/// the real launch path (planning, argument reading, dispatch), plus memory and build failures.</summary>
[TestFixtureSource(typeof(OpenCLTestDevices), nameof(OpenCLTestDevices.Fixtures))]
public sealed class OpenCLAcceleratorTests(string deviceName)
{
    /// <summary>The conformance cases whose kernels <see cref="HandWrittenKernels"/> provides.</summary>
    private static readonly string[] LaunchCaseNames =
    [
        "launch/saxpy-1d-length-1", "launch/saxpy-1d-length-1000", "launch/saxpy-1d-length-100003", "launch/subviews-with-offsets",
        "launch/2d-strided", "launch/3d", "launch/grouped-tree-reduction", "launch/atomics-under-contention",
    ];

    private OpenCLAccelerator? accelerator;

    private OpenCLAccelerator Accelerator => accelerator ?? throw new InvalidOperationException("The fixture has not opened its device.");

    [OneTimeSetUp]
    public void OpenDevice()
    {
        accelerator = (OpenCLAccelerator)Devices.Open(deviceName);
        foreach (var kernel in HandWrittenKernels.ConformanceKernels())
            Accelerator.Substitute(kernel);
    }

    [OneTimeTearDown]
    public void CloseDevice() => accelerator?.Dispose();

    [Test]
    public void DeviceFiguresAreReported()
    {
        var device = (OpenCLDevice)Accelerator.Device;
        Assert.That(device.Kind, Is.EqualTo(DeviceKind.OpenCL));
        Assert.That(device.DisplayName, Is.Not.Empty);
        Assert.That(device.Vendor, Is.Not.Empty);
        Assert.That(device.PlatformName, Is.Not.Empty);
        Assert.That(device.Version, Does.StartWith("OpenCL "));
        Assert.That(device.ComputeUnits, Is.Positive);
        Assert.That(device.MemoryBytes, Is.Positive);
        Assert.That(device.MaxAllocationBytes, Is.Positive.And.LessThanOrEqualTo(device.MemoryBytes));
        Assert.That(device.MaxGroupSize, Is.Positive);
        Assert.That(device.SharedMemoryPerGroup, Is.Positive);
        Assert.That(device.SimdWidth, Is.Positive);
        Assert.That(device.PeakGflops, Is.Positive);
        Assert.That(device.PeakGBps, Is.Positive);
        Assert.That(device.PeakSource, Does.Contain("compute units").And.Contain(
            device.Hardware == DeviceHardware.Cpu ? "bandwidth of host memory" : "clEnqueueCopyBuffer"));
        TestContext.Out.WriteLine($"{device} on {device.PlatformName}: {device.ComputeUnits} CUs, {device.MemoryBytes >> 20} MiB, {device.PeakGflops:F0} GFLOP/s, {device.PeakGBps:F1} GB/s ({device.PeakSource})");
    }

    [TestCaseSource(nameof(LaunchCaseNames))]
    public void HandWrittenKernelPassesTheConformanceCase(string caseName) => ConformanceSuite.Get(caseName).Run(Accelerator);

    [Test]
    public void HandWrittenKernelsPassTheConformanceCasesInWholeGuardedGroups()
    {
        // The launch planning GPUs get: extents rounded up to whole groups, guarded variants.
        using var padded = new OpenCLAccelerator((OpenCLDevice)Accelerator.Device, wholeGroups: true);
        foreach (var kernel in HandWrittenKernels.ConformanceKernels())
            padded.Substitute(kernel);
        foreach (var name in LaunchCaseNames)
            ConformanceSuite.Get(name).Run(padded);
    }

    [Test]
    public void ScalarArgumentsOfEveryWidthArriveAsTheCpuSeesThem()
    {
        var kernel = new ScalarEchoKernel { Int8 = -100, UInt16 = 65000, Int32 = -123456789, Int64 = -1234567890123L, Flag = true, Float = -2.5f };
        using (var cpu = Devices.Open("cpu"))
        using (var expected = cpu.Allocate<long>(ScalarEchoKernel.Outputs))
        {
            cpu.Launch(1, kernel with { Output = expected.View });
            Accelerator.Substitute(ScalarEchoKernel.HandWritten(guarded: false));
            Accelerator.Substitute(ScalarEchoKernel.HandWritten(guarded: true));
            using var output = Accelerator.Allocate<long>(ScalarEchoKernel.Outputs);
            Accelerator.Launch(1, kernel with { Output = output.View });
            Assert.That(output.ToArray(), Is.EqualTo(expected.ToArray()));
        }
    }

    [Test]
    public void LaunchesFromManyThreadsKeepTheirOwnArguments()
    {
        const int threads = 4, launches = 10, length = 4096;
        var results = Enumerable.Range(0, threads).Select(_ => new float[length]).ToArray();
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            using var x = Accelerator.Allocate<float>(Enumerable.Repeat(1f, length).ToArray());
            using var y = Accelerator.Allocate<float>(new float[length]);
            for (int i = 0; i < launches; i++)
                Accelerator.Launch(length, new SaxpyKernel { X = x.View, Y = y.View, A = t + 1 });
            y.CopyToHost(results[t]);
        })).ToArray();
        Task.WaitAll(workers);
        for (int t = 0; t < threads; t++)
            Assert.That(results[t].Count(v => v != launches * (t + 1)), Is.Zero, $"elements of thread {t} that are not {launches * (t + 1)}");
    }

    [Test]
    public void TheLastKernelIsTimedByItsProfilingEvent()
    {
        using var x = Accelerator.Allocate<float>(new float[1 << 16]);
        using var y = Accelerator.Allocate<float>(new float[1 << 16]);
        Accelerator.Launch(1 << 16, new SaxpyKernel { X = x.View, Y = y.View, A = 2f });
        var duration = Accelerator.LastKernelDuration();
        Assert.That(duration, Is.Not.Null);
        Assert.That(duration!.Value, Is.GreaterThan(TimeSpan.Zero).And.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public void BeforeAnyLaunchThereIsNoKernelTime()
    {
        using var fresh = (OpenCLAccelerator)Devices.Open(deviceName);
        Assert.That(fresh.LastKernelDuration(), Is.Null);
    }

    [Test]
    public void FailedBuildCarriesTheLogAndTheSource()
    {
        const string source = "__kernel void broken(__global float* y)\n{\n    y[0] = undeclared_name;\n}\n";
        Accelerator.Substitute(HandWrittenKernels.Verbatim(typeof(BrokenKernel), "broken", source));
        var error = Assert.Throws<KernelBuildException>(() => Accelerator.Launch(1, new BrokenKernel()))!;
        Assert.That(error.ErrorName, Is.EqualTo("CL_BUILD_PROGRAM_FAILURE"));
        Assert.That(error.GeneratedSource, Is.EqualTo(source));
        Assert.That(error.BuildLog, Does.Contain("undeclared_name").And.Contain("-cl-std=CL1.2"));
        Assert.That(error.Message, Does.Contain("broken").And.Contain(source));
    }

    [Test]
    public void ProgramWithoutTheEntryPointIsABuildError()
    {
        const string source = "__kernel void other_name(__global float* y) { y[0] = 1.0f; }\n";
        Accelerator.Substitute(HandWrittenKernels.Verbatim(typeof(MisnamedKernel), "expected_name", source));
        var error = Assert.Throws<KernelBuildException>(() => Accelerator.Launch(1, new MisnamedKernel()))!;
        Assert.That(error.ErrorName, Is.EqualTo("CL_INVALID_KERNEL_NAME"));
        Assert.That(error.GeneratedSource, Is.EqualTo(source));
    }

    [Test]
    public unsafe void CopiesAndClearsAtByteOffsetsTouchOnlyTheirRange()
    {
        var device = (OpenCLDevice)Accelerator.Device;
        using var context = new OpenCLContext(device.Api, device.Handle, device.Name);
        using var source = new OpenCLMemory(context, device.MaxAllocationBytes, 9);
        using var destination = new OpenCLMemory(context, device.MaxAllocationBytes, 9);
        byte[] initial = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        byte[] filler = [.. Enumerable.Repeat((byte)0xEE, 9)];
        fixed (byte* bytes = initial)
            source.CopyFromHost(bytes, 0, 9);
        fixed (byte* bytes = filler)
            destination.CopyFromHost(bytes, 0, 9);
        source.CopyTo(destination, sourceOffset: 3, destinationOffset: 1, byteCount: 4);
        source.Clear(byteOffset: 2, byteCount: 3);
        var copied = new byte[9];
        var cleared = new byte[9];
        fixed (byte* bytes = copied)
            destination.CopyToHost(bytes, 0, 9);
        fixed (byte* bytes = cleared)
            source.CopyToHost(bytes, 0, 9);
        Assert.That(copied, Is.EqualTo(new byte[] { 0xEE, 4, 5, 6, 7, 0xEE, 0xEE, 0xEE, 0xEE }));
        Assert.That(cleared, Is.EqualTo(new byte[] { 1, 2, 0, 0, 0, 6, 7, 8, 9 }));
    }

    [Test]
    public void EmptyBufferIsAllowed()
    {
        using var empty = Accelerator.Allocate<float>(0);
        Assert.That(empty.ToArray(), Is.Empty);
        Assert.That(((ILGPU.IArrayView)empty.View).Buffer.NativePtr, Is.Not.Zero);
    }

    [Test]
    public void AllocationLargerThanTheDeviceIsOutOfMemory()
        => Assert.That(() => Accelerator.Allocate<byte>(Accelerator.Device.MemoryBytes * 2),
            Throws.InstanceOf<DeviceOutOfMemoryException>().With.Message.Contains("largest single allocation"));

    /// <summary>Stands for a kernel whose device code does not compile.</summary>
    private struct BrokenKernel : IKernel1D
    {
        public readonly void Execute(int index) { }
    }

    /// <summary>Stands for a kernel whose program lacks the entry point.</summary>
    private struct MisnamedKernel : IKernel1D
    {
        public readonly void Execute(int index) { }
    }
}
