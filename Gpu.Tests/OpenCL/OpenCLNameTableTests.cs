using Gpu.Core.OpenCL.Native;

namespace Gpu.Tests.OpenCL;

public sealed class OpenCLNameTableTests
{
    // Codes and names as cl.h and the Khronos extension headers define them.
    [TestCase(0, "CL_SUCCESS")]
    [TestCase(-1, "CL_DEVICE_NOT_FOUND")]
    [TestCase(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE")]
    [TestCase(-5, "CL_OUT_OF_RESOURCES")]
    [TestCase(-6, "CL_OUT_OF_HOST_MEMORY")]
    [TestCase(-11, "CL_BUILD_PROGRAM_FAILURE")]
    [TestCase(-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE")]
    [TestCase(-30, "CL_INVALID_VALUE")]
    [TestCase(-36, "CL_INVALID_COMMAND_QUEUE")]
    [TestCase(-46, "CL_INVALID_KERNEL_NAME")]
    [TestCase(-52, "CL_INVALID_KERNEL_ARGS")]
    [TestCase(-54, "CL_INVALID_WORK_GROUP_SIZE")]
    [TestCase(-61, "CL_INVALID_BUFFER_SIZE")]
    [TestCase(-63, "CL_INVALID_GLOBAL_WORK_SIZE")]
    [TestCase(-72, "CL_MAX_SIZE_RESTRICTION_EXCEEDED")]
    [TestCase(-1001, "CL_PLATFORM_NOT_FOUND_KHR")]
    [TestCase(-1059, "CL_INVALID_PARTITION_NAME_EXT")]
    [TestCase(-1101, "CL_VA_API_MEDIA_SURFACE_NOT_ACQUIRED_INTEL")]
    public void ErrorCodesHaveTheirHeaderNames(int code, string name)
        => Assert.That(OpenCLErrorNames.Get(code), Is.EqualTo(name));

    [Test]
    public void EveryCoreCodeFromSuccessToTheLastIsNamed()
    {
        // cl.h numbers its core errors densely from 0 to -19 and from -30 to -72.
        var core = Enumerable.Range(0, 20).Concat(Enumerable.Range(30, 43)).Select(c => -c);
        Assert.That(core.Select(OpenCLErrorNames.Get), Has.None.StartsWith("cl_int"));
        Assert.That(core.Select(OpenCLErrorNames.Get), Is.Unique);
    }

    [TestCase(-20)]
    [TestCase(-9999)]
    [TestCase(7)]
    public void UnknownCodeNamesItsNumber(int code)
        => Assert.That(OpenCLErrorNames.Get(code), Is.EqualTo($"cl_int {code}"));

    [Test]
    public void OutOfMemoryCodesBecomeOutOfMemoryExceptions()
    {
        Assert.That(OpenCLApi.Failure(-4, "Allocating"), Is.InstanceOf<Gpu.Core.DeviceOutOfMemoryException>()
            .With.Property("ErrorName").EqualTo("CL_MEM_OBJECT_ALLOCATION_FAILURE"));
        Assert.That(OpenCLApi.Failure(-6, "Allocating"), Is.InstanceOf<Gpu.Core.DeviceOutOfMemoryException>());
        var other = OpenCLApi.Failure(-36, "Waiting");
        Assert.That(other, Is.Not.InstanceOf<Gpu.Core.DeviceOutOfMemoryException>());
        Assert.That(other.Message, Is.EqualTo("Waiting: CL_INVALID_COMMAND_QUEUE"));
    }
}
