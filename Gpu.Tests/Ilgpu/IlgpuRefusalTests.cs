using Gpu.Conformance;
using Gpu.Core.Ilgpu;
using NUnit.Framework.Constraints;

namespace Gpu.Tests.Ilgpu;

/// <summary>Where ILGPU refuses a kernel written with its types.</summary>
public enum RefusedAt
{
    /// <summary>ILGPU fails to compile it, for PTX and on its CPU accelerator.</summary>
    Compilation,

    /// <summary>ILGPU compiles it to PTX, but its launcher refuses the kernel's parameters.</summary>
    Launch,
}

/// <summary>Why ILGPU refuses one kernel (an entry of <see cref="IlgpuKernels.Refused"/>).</summary>
/// <param name="At">Where the refusal happens.</param>
/// <param name="Reason">What in the kernel ILGPU cannot handle.</param>
public sealed record IlgpuRefusal(RefusedAt At, string Reason);

/// <summary>Each kernel in <see cref="IlgpuKernels.Refused"/> is still refused by ILGPU as the table says, so an
/// ILGPU that accepts it fails here and the entry goes. Each try uses a fresh ILGPU context, disposed after it:
/// a failed compilation leaves a context unusable for the kernels after it.</summary>
[NonParallelizable]
public sealed class IlgpuRefusalTests
{
    /// <summary>Each refused kernel, named for the test.</summary>
    public static IEnumerable<string> Refusals => IlgpuKernels.Refused.Keys.Order();

    [TestCaseSource(nameof(Refusals))]
    public void IlgpuStillRefusesTheKernel(string name)
    {
        var refusal = IlgpuKernels.Refused[name];
        var kernel = IlgpuKernels.All.SingleOrDefault(t => t.Name == name);
        Assert.That(kernel, Is.Not.Null, $"{name}: no corpus kernel on ILGPU's types has this name; remove or rename the entry");
        string stale = $"ILGPU now accepts {name} ({refusal.At}), which IlgpuKernels.Refused says it refuses because {refusal.Reason}: "
            + "remove the entry, so the ILGPU tests run the kernel, and update docs/ilgpu.md";
        var cases = ConformanceSuite.All.Where(c => IlgpuKernels.LaunchedBy(c).Contains(kernel!)).ToList();
        Assert.That(cases, Is.Not.Empty, $"{name}: no conformance case launches it");
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
            Assert.That(() => ptx.Compile(kernel!, target, out _), Throws.InstanceOf<ILGPU.InternalCompilerException>(), $"{stale} (PTX for {target})");
        }
    }
}
