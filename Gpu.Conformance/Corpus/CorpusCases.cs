namespace Gpu.Conformance.Corpus;

/// <summary>The kernel conformance corpus: kernels covering what the kernel compiler must translate
/// (integer and float semantics, conversions, control flow, structs, device functions, views,
/// grouped kernels, atomics), each compared with a result computed independently on the host.</summary>
public static class CorpusCases
{
    /// <summary>Every corpus case.</summary>
    public static IEnumerable<ConformanceCase> All =>
        new[] { IntegerCases.All, NumericCases.All, MathCases.All, ControlFlowCases.All, StructCases.All, ViewAndGroupCases.All }
            .SelectMany(area => area);
}
