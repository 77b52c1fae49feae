namespace Gpu.Bench.Gemm;

/// <summary>How far two correct float32 GEMMs may disagree: each output sums K products in its own
/// order, so either may be off by the classic bound of K·ε times the magnitude of the sum.</summary>
public static class GemmAgreement
{
    private const double MachineEpsilon = 1.0 / (1 << 23);

    /// <summary>The largest allowed difference of one output element, from the depth
    /// <paramref name="depth"/> and the outputs' largest magnitude (valid for non-negative inputs, as bench's are:
    /// then no partial sum exceeds the final one).</summary>
    public static double Bound(int depth, ReadOnlySpan<float> output)
    {
        float largest = 0;
        foreach (float value in output)
            largest = Math.Max(largest, Math.Abs(value));
        return depth * MachineEpsilon * largest;
    }
}
