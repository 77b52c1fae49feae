using Gpu.Core;

namespace Gpu.Conformance.Corpus;

/// <summary>Corpus cases that fail on some devices because of a known gap elsewhere, each with its
/// precise reason. A gap is removed from here as soon as it is fixed; the case itself is never weakened.</summary>
internal static class KnownGaps
{
    private static readonly Dictionary<string, (Func<Device, bool> Applies, string Reason)> gaps = new()
    {
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
