using Gpu.Conformance;
using Gpu.Core.Ilgpu;
using NUnit.Framework.Constraints;

namespace Gpu.Tests.Ilgpu;

/// <summary>Each kernel in <see cref="IlgpuRefusals.Kernels"/> is still refused by ILGPU as the table says, so an
/// ILGPU that accepts it fails here and the entry goes. Each try uses a fresh ILGPU context, disposed after it:
/// a failed compilation leaves a context unusable for the kernels after it.</summary>
[NonParallelizable]
public sealed class IlgpuRefusalTests
{
    /// <summary>Each refused kernel, named for the test.</summary>
    public static IEnumerable<TestCaseData> Refusals
        => IlgpuRefusals.Kernels.Keys.OrderBy(t => t.Name).Select(kernel => new TestCaseData(kernel).SetArgDisplayNames(kernel.Name));

    [TestCaseSource(nameof(Refusals))]
    public void IlgpuStillRefusesTheKernel(Type kernel)
    {
        var refusal = IlgpuRefusals.Kernels[kernel];
        string stale = $"ILGPU now accepts {kernel.Name} ({refusal.At}), which IlgpuRefusals says it refuses because {refusal.Reason}: "
            + "remove the entry, so ILGPU's engines run the kernel, and update docs/ilgpu.md";
        var cases = ConformanceSuite.All.Where(c => IlgpuKernels.LaunchedBy(c).Contains(kernel)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(IlgpuKernels.All, Does.Contain(kernel), $"{kernel.Name}: the table lists kernels on ILGPU's types only");
            Assert.That(cases, Is.Not.Empty, $"{kernel.Name}: no conformance case launches it");
        });
        IResolveConstraint refused = refusal.At == RefusedAt.Compilation
            ? Throws.InstanceOf<ILGPU.InternalCompilerException>()
            : Throws.ArgumentException.With.InnerException.InstanceOf<NotSupportedException>().And.InnerException.Message.Contains("is not blittable");
        using (var accelerator = IlgpuCpuDevice.Instance.Open())
            Assert.That(() => cases[0].Run(accelerator), refused, $"{stale} (case {cases[0].Name} on ILGPU's CPU accelerator)");
        if (refusal.At != RefusedAt.Compilation)
            return;
        foreach (var target in IlgpuPtx.Targets.Keys)
        {
            using var ptx = new IlgpuPtx();
            Assert.That(() => ptx.Compile(kernel, target, out _), Throws.InstanceOf<ILGPU.InternalCompilerException>(), $"{stale} (PTX for {target})");
        }
    }
}
