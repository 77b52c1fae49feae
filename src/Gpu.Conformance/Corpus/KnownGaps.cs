using Gpu.Core;

namespace Gpu.Conformance.Corpus;

/// <summary>Corpus cases that fail on some devices because of a known gap elsewhere, each with its
/// precise reason. A gap is removed from here as soon as it is fixed; the case itself is never weakened.</summary>
internal static class KnownGaps
{
    private static readonly Dictionary<string, (Func<Device, bool> Applies, string Reason)> gaps = new()
    {
        ["corpus/kernel-assigns-its-own-fields"] = (device => device.Kind == DeviceKind.Cpu,
            "the CPU accelerator runs a whole chunk of indices on one copy of the kernel struct, so field writes leak "
            + "from one index to the next; the fix (a fresh copy per index in CpuAccelerator's range loops) belongs to the compiler branch"),
        ["corpus/struct-view-elements"] = (device => device.Kind != DeviceKind.Cpu,
            "the kernel compiler passes only views of primitive element types to a device; a View<Particle> "
            + "(a user struct of float, float, int, short) is rejected with KernelCompilationException"),
        ["corpus/enum-parameters-and-switch"] = (device => device.Kind != DeviceKind.Cpu,
            "KernelArguments cannot pass enum-typed kernel fields (NotSupportedException: a kernel parameter of type "
            + "Operation cannot be passed by value); enums must travel as their underlying integer type"),
    };

    /// <summary>The case, made to throw <see cref="ConformanceSkippedException"/> on the devices its gap applies to.</summary>
    public static ConformanceCase Mark(ConformanceCase conformanceCase)
    {
        if (!gaps.TryGetValue(conformanceCase.Name, out var gap))
            return conformanceCase;
        return conformanceCase with
        {
            Run = accelerator =>
            {
                if (gap.Applies(accelerator.Device))
                    throw new ConformanceSkippedException($"known gap on {accelerator.Device.Name}: {gap.Reason}");
                conformanceCase.Run(accelerator);
            },
        };
    }
}
