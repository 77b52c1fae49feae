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

    /// <summary>Runs <paramref name="launch"/>, which computes the product into C from the views A, B, C and bias, on random
    /// operands of <paramref name="shape"/> and checks C against <see cref="Gpu.Ops.Gemm.GemmReference"/> with the same α, β, bias and activation.</summary>
    public static void AssertLaunchMatchesTheReference(Accelerator accelerator, Gpu.Ops.Gemm.GemmShape shape, float alpha, float beta, Gpu.Ops.Activation activation,
        int seed, Action<ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>> launch)
    {
        float[] aHost = Random(shape.M * shape.K, seed), bHost = Random(shape.K * shape.N, seed + 1);
        float[] cHost = Random(shape.M * shape.N, seed + 2), biasHost = Random(shape.N, seed + 3);
        float[] expected = (float[])cHost.Clone();
        Gpu.Ops.Gemm.GemmReference.Multiply(shape, aHost, bHost, expected, alpha, beta, biasHost, activation);
        using var a = accelerator.Allocate<float>(aHost);
        using var b = accelerator.Allocate<float>(bHost);
        using var c = accelerator.Allocate<float>(cHost);
        using var bias = accelerator.Allocate<float>(biasHost);
        launch(a.View, b.View, c.View, bias.View);
        AssertClose(expected, c.ToArray(), shape.K, termScale: Math.Max(1f, Math.Abs(alpha)));
    }
}
