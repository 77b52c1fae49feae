using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Checks shared by the sparse, codebook and int8 products' accumulating form (<see cref="ProductOutput.Accumulate"/>).</summary>
internal static class ProductOutputChecks
{
    /// <summary>Runs a product with no epilogue twice, overwriting a Y of NaN (which it must not read) and adding into
    /// random previous values, and asserts the second is the first plus the previous values to the bit: both
    /// paths form the same sums, and accumulating adds one float.</summary>
    /// <param name="accelerator">Where Y lives.</param>
    /// <param name="length">Elements of Y.</param>
    /// <param name="multiply">Runs the product into the given Y.</param>
    public static void AccumulatingAddsExactlyToTheOverwrittenProduct(Accelerator accelerator, int length, Action<ArrayView<float>, ProductOutput> multiply)
    {
        float[] previous = GemmTestData.Random(length, seed: length + 5, low: -4f, high: 4f);
        using var overwritten = accelerator.Allocate<float>(Enumerable.Repeat(float.NaN, length).ToArray());
        using var accumulated = accelerator.Allocate<float>(previous);
        multiply(overwritten.View, ProductOutput.Overwrite);
        multiply(accumulated.View, ProductOutput.Accumulate);
        accelerator.Synchronize();
        float[] product = overwritten.ToArray();
        Assert.That(product, Has.None.NaN, "overwriting never reads Y");
        Assert.That(accumulated.ToArray(), Is.EqualTo(product.Zip(previous, (p, y) => p + y).ToArray()), "accumulated = product + previous Y");
    }

    /// <summary><c>act(product·scale[row] + previous + bias[row])</c> for an M × N product, in the epilogue's order.</summary>
    public static float[] Epilogue(float[] product, int m, int n, float[]? scale, float[] previous, float[] bias, Activation activation)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[i * n + j] = activation.Apply(product[i * n + j] * (scale?[i] ?? 1f) + previous[i * n + j] + bias[i]);
        return y;
    }
}
