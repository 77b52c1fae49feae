using Gpu.Core;
using Gpu.Core.OpenCL;

namespace Gpu.Tests.OpenCL;

/// <summary>Which engine runs an OpenCL device: ILGPU's where the device has the generic address space, the
/// translator elsewhere, and what <c>GPUC_OPENCL_ENGINE</c> overrides. (No device here has the generic
/// address space, so ILGPU's OpenCL accelerator itself is not run by these tests.)</summary>
[NonParallelizable]
public sealed class OpenCLEngineChoiceTests
{
    private string? saved;

    [SetUp]
    public void Save() => saved = Environment.GetEnvironmentVariable(IlgpuOpenCL.EngineVariable);

    [TearDown]
    public void Restore() => Environment.SetEnvironmentVariable(IlgpuOpenCL.EngineVariable, saved);

    [TestCase(null, true, true)]
    [TestCase(null, false, false)]
    [TestCase("auto", true, true)]
    [TestCase("translator", true, false)]
    [TestCase("ILGPU", true, true)]
    [TestCase("ilgpu", false, false)]
    public void TheChoiceFollowsTheAddressSpaceAndTheVariable(string? variable, bool generic, bool expectIlgpu)
    {
        Environment.SetEnvironmentVariable(IlgpuOpenCL.EngineVariable, variable);
        var (engine, usesIlgpu) = IlgpuOpenCL.Choose("OpenCL 3.0 Example", generic);
        Assert.That(usesIlgpu, Is.EqualTo(expectIlgpu));
        Assert.That(engine.Name, Does.Contain(expectIlgpu ? "ILGPU OpenCL" : "translator"));
        Assert.That(engine.Reason, Does.Contain(variable is null or "auto" ? "generic address space" : IlgpuOpenCL.EngineVariable));
    }

    [Test]
    public void AnUnknownChoiceIsRefusedNamingTheVariable()
    {
        Environment.SetEnvironmentVariable(IlgpuOpenCL.EngineVariable, "fastest");
        Assert.That(() => IlgpuOpenCL.Choose("OpenCL 3.0 Example", true),
            Throws.InstanceOf<InvalidEnvironmentVariableException>().With.Message.Contains(IlgpuOpenCL.EngineVariable).And.Message.Contains("fastest"));
    }

    [Test]
    public void PoclHereRunsOnTheTranslatorBecauseItLacksTheGenericAddressSpace()
    {
        var pocl = Devices.All.OfType<OpenCLDevice>().Where(d => d.PlatformName.Contains("Portable Computing Language", StringComparison.Ordinal)).ToList();
        if (pocl.Count == 0)
            Assert.Ignore("no PoCL device here");
        foreach (var device in pocl)
        {
            Assert.That(device.RunsOnIlgpu, Is.False, device.Name);
            Assert.That(device.Engine.Name, Does.Contain("translator"), device.Name);
            Assert.That(device.Engine.Reason, Does.Contain("lacks the generic address space"), device.Name);
        }
    }
}
