using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Codebook (weight-shared) products on every device against the dense product of the decoded weight.</summary>
public sealed class CodebookGemmTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(5, 2, 11, 1)]
    [TestCase(8, 5, 30, 7)]
    [TestCase(3, 8, 19, 4)]
    public void ProductMatchesTheDecodedDenseProduct(int bits, int m, int k, int n)
    {
        var random = new Random(bits);
        byte[] indices = Enumerable.Range(0, m * k).Select(_ => (byte)random.Next(1 << bits)).ToArray();
        float[] table = GemmTestData.Random(1 << bits, bits + 1), xHost = GemmTestData.Random(k * n, bits + 2), biasHost = GemmTestData.Random(m, bits + 3);
        float[] decoded = indices.Select(index => table[index]).ToArray();
        var expected = new float[m * n];
        GemmReference.Multiply(new GemmShape(m, n, k), decoded, xHost, expected);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                expected[i * n + j] = MathF.Tanh(expected[i * n + j] + biasHost[i]);
        using var weights = new CodebookWeights(Accelerator, indices, table, m, k, bits);
        using var x = Accelerator.Allocate<float>(xHost);
        using var y = Accelerator.Allocate<float>(m * n);
        using var bias = Accelerator.Allocate<float>(biasHost);
        CodebookGemm.Multiply(Accelerator, weights, x.View, y.View, n, bias.View, new Activation(ActivationKind.Tanh));
        Accelerator.Synchronize();

        GemmTestData.AssertClose(expected, y.ToArray(), k);
    }

    [Test]
    public void IndicesOutsideTheTableAreRejected()
        => Assert.That(() => new CodebookWeights(Accelerator, [0, 4], new float[4], 1, 2, 2),
            Throws.ArgumentException.With.Message.Contains("does not fit in 2 bits"));
}
