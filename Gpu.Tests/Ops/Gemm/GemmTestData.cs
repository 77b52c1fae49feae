using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Deterministic data and comparisons shared by the GEMM tests.</summary>
internal static class GemmTestData
{
    public static float[] Random(int length, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
            values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>Asserts every element within a float32 dot-product error bound of the reference:
    /// K roundings of terms of magnitude ≤ <paramref name="termScale"/>.</summary>
    public static void AssertClose(float[] expected, float[] actual, int k, float termScale = 1f)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        float tolerance = 4e-7f * k * termScale + 1e-6f;
        for (int i = 0; i < expected.Length; i++)
        {
            float allowed = tolerance + 2e-6f * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= allowed))
                Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]} (allowed error {allowed})");
        }
    }
}
