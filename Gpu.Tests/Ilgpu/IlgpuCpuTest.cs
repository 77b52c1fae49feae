using Gpu.Core;
using Gpu.Core.Ilgpu;

namespace Gpu.Tests.Ilgpu;

/// <summary>A test class whose kernels run on ILGPU's CPU accelerator (the test-only <c>ilgpu-cpu</c> engine),
/// opened once for the class.</summary>
public abstract class IlgpuCpuTest
{
    /// <summary>The engine over ILGPU's CPU accelerator.</summary>
    protected Accelerator Accelerator { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenIlgpuCpu() => Accelerator = IlgpuCpuDevice.Instance.Open();

    [OneTimeTearDown]
    public void CloseIlgpuCpu() => Accelerator.Dispose();
}
