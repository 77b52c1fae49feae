using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using ILGPU;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Codebook (weight-shared) products on every device against the dense product of the
/// decoded weight, through every path, and the packed layout of the indices; on ILGPU's CPU
/// accelerator too, since every codebook kernel is written with ILGPU's types.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class CodebookGemmTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Which code multiplies.</summary>
    public enum CodebookPath { Dispatched, Portable, Grouped }

    /// <summary>Every width with K = 37, a multiple of no 32 / b, so rows end inside a word, and
    /// straddling indices for b = 3, 5, 6, 7; M = 70 and N = 5 leave partial row and column blocks
    /// in the grouped kernel. Then the earlier shapes, one with a single output column.</summary>
    private static IEnumerable<TestCaseData> ProductCases()
        => from shape in Enumerable.Range(1, 8).Select(bits => new[] { bits, 70, 37, 5 })
               .Concat([[5, 2, 11, 1], [8, 5, 30, 7], [3, 8, 19, 4]])
           from path in Enum.GetValues<CodebookPath>()
           select new TestCaseData(shape[0], shape[1], shape[2], shape[3], path);

    [TestCaseSource(nameof(ProductCases))]
    public void ProductMatchesTheDecodedDenseProduct(int bits, int m, int k, int n, CodebookPath path)
    {
        byte[] indices = RandomIndices(bits, m * k);
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
        var activation = new Activation(ActivationKind.Tanh);
        var epilogue = RowEpilogue.Create(bias.View, activation);
        switch (path)
        {
            case CodebookPath.Dispatched:
                CodebookGemm.Multiply(Accelerator, weights, x.View, y.View, n, bias.View, activation);
                break;
            case CodebookPath.Portable:
                Accelerator.Launch(n, m, CodebookGemmKernel.For(weights, x.View, y.View, n, epilogue));
                break;
            case CodebookPath.Grouped:
                Accelerator.LaunchGrouped(CodebookGemmGroupedKernel.ExtentOf(m, n), CodebookGemmGroupedKernel.For(weights, x.View, y.View, n, epilogue));
                break;
        }
        Accelerator.Synchronize();

        GemmTestData.AssertClose(expected, y.ToArray(), k);
    }

    /// <summary>The accumulating form through every path: with a scale, bias and tanh against the decoded dense
    /// product, and with no epilogue exactly the overwritten product plus the previous Y. N = 1 is an LSTM step of one line.</summary>
    [TestCase(5, 70, 37, 5, CodebookPath.Dispatched)]
    [TestCase(5, 70, 37, 1, CodebookPath.Dispatched)]
    [TestCase(3, 70, 37, 300, CodebookPath.Dispatched)]
    [TestCase(5, 70, 37, 5, CodebookPath.Portable)]
    [TestCase(5, 70, 37, 5, CodebookPath.Grouped)]
    public void AccumulatingAddsTheProductToThePreviousOutput(int bits, int m, int k, int n, CodebookPath path)
    {
        byte[] indices = RandomIndices(bits, m * k);
        float[] table = GemmTestData.Random(1 << bits, bits + 11), xHost = GemmTestData.Random(k * n, bits + 12), biasHost = GemmTestData.Random(m, bits + 13);
        float[] scaleHost = GemmTestData.Random(m, bits + 14, 0.5f, 2f), previous = GemmTestData.Random(m * n, bits + 15, -3f, 3f);
        var product = new float[m * n];
        GemmReference.Multiply(new GemmShape(m, n, k), [.. indices.Select(index => table[index])], xHost, product);
        var activation = new Activation(ActivationKind.Tanh);
        float[] expected = ProductOutputChecks.Epilogue(product, m, n, scaleHost, previous, biasHost, activation);
        using var weights = new CodebookWeights(Accelerator, indices, table, m, k, bits);
        using var x = Accelerator.Allocate<float>(xHost);
        using var bias = Accelerator.Allocate<float>(biasHost);
        using var scale = Accelerator.Allocate<float>(scaleHost);
        void Multiply(ArrayView<float> y, ArrayView<float> rowBias, Activation rowActivation, ArrayView<float> rowScale, ProductOutput output)
        {
            var epilogue = RowEpilogue.Create(rowScale, rowBias, rowActivation, output);
            switch (path)
            {
                case CodebookPath.Dispatched:
                    CodebookGemm.Multiply(Accelerator, weights, x.View, y, n, rowBias, rowActivation, rowScale, output);
                    break;
                case CodebookPath.Portable:
                    Accelerator.Launch(n, m, CodebookGemmKernel.For(weights, x.View, y, n, epilogue));
                    break;
                case CodebookPath.Grouped:
                    Accelerator.LaunchGrouped(CodebookGemmGroupedKernel.ExtentOf(m, n), CodebookGemmGroupedKernel.For(weights, x.View, y, n, epilogue));
                    break;
            }
        }

        using var accumulated = Accelerator.Allocate<float>(previous);
        Multiply(accumulated.View, bias.View, activation, scale.View, ProductOutput.Accumulate);
        Accelerator.Synchronize();
        GemmTestData.AssertClose(expected, accumulated.ToArray(), k, termScale: 2f);
        ProductOutputChecks.AccumulatingAddsExactlyToTheOverwrittenProduct(Accelerator, m * n, (y, output) => Multiply(y, default, Activation.None, default, output));
    }

    [TestCase(1), TestCase(2), TestCase(3), TestCase(4), TestCase(5), TestCase(6), TestCase(7), TestCase(8)]
    public void PackedIndicesReadBackUnchanged(int bits)
    {
        const int rows = 3, columns = 37;
        byte[] indices = RandomIndices(bits, rows * columns);
        using var weights = new CodebookWeights(Accelerator, indices, new float[1 << bits], rows, columns, bits);

        Assert.That(weights.WordsPerRow, Is.EqualTo((columns * bits + 31) / 32));
        Assert.That(weights.PackedIndices.Length, Is.EqualTo(rows * weights.WordsPerRow));
        Assert.That(weights.UnpackIndices(), Is.EqualTo(indices));
        Assert.That(CodebookIndices.Unpack(CodebookIndices.Pack(indices, rows, columns, bits), rows, columns, bits), Is.EqualTo(indices));
    }

    [Test]
    public void IndicesAreLittleEndianBitStreamsStartingEachRowOnAWord()
    {
        // Two rows of eleven 3-bit indices: index 10 takes bits 30–32 of its row's stream, so its
        // top bit opens the row's second word, and row 1 starts afresh at word 2.
        byte[] row = [1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 7];
        uint firstWord = 0;
        for (int t = 0; t < 10; t++)
            firstWord |= (uint)row[t] << (3 * t);
        firstWord |= 0b11u << 30;
        using var weights = new CodebookWeights(Accelerator, [.. row, .. row], new float[8], 2, row.Length, 3);

        Assert.That(weights.PackedIndices.ToArray(), Is.EqualTo(new[] { firstWord, 1u, firstWord, 1u }));
    }

    [Test]
    public void A4096By4096LayerOf5BitIndicesTakes10MiB()
    {
        const int side = 4096;
        using var weights = new CodebookWeights(Accelerator, new byte[side * side], new float[32], side, side, 5);

        Assert.That(weights.WordsPerRow, Is.EqualTo(640));
        Assert.That(weights.PackedIndices.SizeInBytes, Is.EqualTo(10L << 20));
    }

    [Test]
    public void IndicesOutsideTheTableAreRejected()
        => Assert.That(() => new CodebookWeights(Accelerator, [0, 4], new float[4], 1, 2, 2),
            Throws.ArgumentException.With.Message.Contains("does not fit in 2 bits"));

    [TestCase(0), TestCase(9)]
    public void WidthsOutsideOneToEightBitsAreRejected(int bits)
        => Assert.That(() => new CodebookWeights(Accelerator, [0], new float[1], 1, 1, bits),
            Throws.ArgumentException.With.Message.Contains("1–8 bits"));

    private static byte[] RandomIndices(int bits, int count)
    {
        var random = new Random(bits);
        return Enumerable.Range(0, count).Select(_ => (byte)random.Next(1 << bits)).ToArray();
    }
}
