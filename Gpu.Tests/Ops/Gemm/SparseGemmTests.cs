using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Sparse;
using ILGPU;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>CSR and 1×8 block-sparse products and the im2col convolution, on every device,
/// against dense references of the masked weight.</summary>
public sealed class SparseGemmTests(string deviceName) : DeviceTest(deviceName)
{
    public enum Format { Csr, Block }

    /// <summary>Which kernel computes the product.</summary>
    public enum Schedule
    {
        /// <summary>What <see cref="SparseGemm"/> chooses for the device.</summary>
        Chosen,
        /// <summary>The one-thread-per-element kernel.</summary>
        Portable,
        /// <summary>The row-segment kernel of OpenCL CPU runtimes (N of at least 16).</summary>
        RowSegments,
        /// <summary>The block product's one-column kernel of OpenCL CPU runtimes (N = 1).</summary>
        BlockDot,
    }

    [TestCase(Format.Csr, 13, 37, 1, Schedule.Chosen, false)]
    [TestCase(Format.Csr, 13, 11, 1, Schedule.Chosen, false)]
    [TestCase(Format.Csr, 7, 300, 1, Schedule.Chosen, false)]
    [TestCase(Format.Csr, 13, 37, 5, Schedule.Chosen, false)]
    [TestCase(Format.Csr, 9, 64, 19, Schedule.Portable, false)]
    [TestCase(Format.Block, 13, 37, 1, Schedule.Chosen, false)]
    [TestCase(Format.Block, 13, 37, 5, Schedule.Chosen, false)]
    [TestCase(Format.Block, 9, 64, 19, Schedule.Portable, false)]
    // N at and off the row segments' 16 columns (the last segment slides back), rows without a
    // stored weight, and a K whose last block is partly past W's last column.
    [TestCase(Format.Csr, 13, 37, 16, Schedule.Chosen, true)]
    [TestCase(Format.Csr, 13, 37, 19, Schedule.Chosen, true)]
    [TestCase(Format.Csr, 5, 70, 47, Schedule.RowSegments, true)]
    [TestCase(Format.Csr, 6, 33, 16, Schedule.RowSegments, false)]
    [TestCase(Format.Block, 13, 37, 16, Schedule.Chosen, true)]
    [TestCase(Format.Block, 13, 37, 19, Schedule.Chosen, true)]
    [TestCase(Format.Block, 5, 70, 47, Schedule.RowSegments, true)]
    [TestCase(Format.Block, 6, 33, 16, Schedule.RowSegments, false)]
    [TestCase(Format.Block, 13, 37, 1, Schedule.BlockDot, true)]
    [TestCase(Format.Block, 9, 64, 1, Schedule.BlockDot, false)]
    [TestCase(Format.Block, 4, 5, 1, Schedule.BlockDot, false)]
    public void ProductMatchesTheMaskedDenseReference(Format format, int m, int k, int n, Schedule schedule, bool emptyRows)
    {
        float[] dense = GemmTestData.Random(m * k, 11);
        bool[] keep = MaskOf(m * k, 0.7, 12);
        if (emptyRows)
            for (int i = 1; i < m; i += 3)
                Array.Fill(keep, false, i * k, k);
        float[] xHost = GemmTestData.Random(k * n, 13), biasHost = GemmTestData.Random(m, 14);
        float[] expected = MaskedReference(dense, keep, m, k, xHost, n, biasHost, Activation.Leaky(0.2f));

        GemmTestData.AssertClose(expected, Product(Accelerator, format, schedule, dense, keep, m, k, xHost, n, biasHost, Activation.Leaky(0.2f)), k);
    }

    /// <summary>Y = act(W·X + bias) for the masked <paramref name="dense"/> W through <paramref name="schedule"/>.</summary>
    internal static float[] Product(Accelerator accelerator, Format format, Schedule schedule, float[] dense, bool[] keep, int m, int k,
        float[] xHost, int n, float[] biasHost, Activation activation)
    {
        using var x = accelerator.Allocate<float>(xHost);
        using var y = accelerator.Allocate<float>(m * n);
        using var bias = accelerator.Allocate<float>(biasHost);
        var epilogue = RowEpilogue.Create(bias.View, activation);
        if (format == Format.Csr)
        {
            using var w = CsrMatrix.FromDense(accelerator, dense, m, k, keep);
            Assert.That(w.NonZeros, Is.EqualTo(keep.Count(flag => flag)));
            var kernel = new CsrGemmKernel { RowPointers = w.RowPointers.View, ColumnIndices = w.ColumnIndices.View, Values = w.Values.View, X = x.View, Y = y.View, N = n, Epilogue = epilogue };
            if (schedule == Schedule.Portable)
                accelerator.Launch(n, m, kernel);
            else if (schedule == Schedule.RowSegments)
                accelerator.Launch(m, RowSegments(n), new CsrRowSegmentKernel { Product = kernel });
            else
                SparseGemm.Multiply(accelerator, w, x.View, y.View, n, bias.View, activation);
            accelerator.Synchronize();
        }
        else
        {
            using var w = BlockSparseMatrix.FromDense(accelerator, dense, m, k, keep);
            var kernel = new BlockSparseGemmKernel { BlockPointers = w.BlockPointers.View, BlockColumns = w.BlockColumns.View, Values = w.Values.View, X = x.View, Y = y.View, N = n, K = k, Epilogue = epilogue };
            if (schedule == Schedule.Portable)
                accelerator.Launch(n, m, kernel);
            else if (schedule == Schedule.RowSegments)
                accelerator.Launch(m, RowSegments(n), new BlockSparseRowSegmentKernel { Product = kernel });
            else if (schedule == Schedule.BlockDot)
                accelerator.Launch(m, new BlockSparseDotKernel { Product = kernel });
            else
                SparseGemm.Multiply(accelerator, w, x.View, y.View, n, bias.View, activation);
            accelerator.Synchronize();
        }
        return y.ToArray();
    }

    /// <summary>The row-segment kernels' items across N columns: 16 columns each.</summary>
    private static int RowSegments(int n) => (n + 15) / 16;

    /// <summary>The accumulating form through every CPU path (N = 1 gathers, N ≤ one column tile splits rows,
    /// N = 300 takes two tiles) and the portable kernels: with scale (CSR), bias and LeakyReLU against the
    /// reference, and with no epilogue exactly the overwritten product plus the previous Y.</summary>
    [TestCase(Format.Csr, 1, false)]
    [TestCase(Format.Csr, 5, false)]
    [TestCase(Format.Csr, 300, false)]
    [TestCase(Format.Csr, 5, true)]
    [TestCase(Format.Block, 1, false)]
    [TestCase(Format.Block, 5, false)]
    [TestCase(Format.Block, 5, true)]
    public void AccumulatingAddsTheProductToThePreviousOutput(Format format, int n, bool portableKernel)
    {
        const int m = 13, k = 37;
        float[] dense = GemmTestData.Random(m * k, 31);
        bool[] keep = MaskOf(m * k, 0.7, 32);
        float[] xHost = GemmTestData.Random(k * n, 33), biasHost = GemmTestData.Random(m, 34), previous = GemmTestData.Random(m * n, 35, -3f, 3f);
        float[]? scaleHost = format == Format.Csr ? GemmTestData.Random(m, 36, 0.5f, 2f) : null;
        var activation = Activation.Leaky(0.2f);
        float[] product = MaskedReference(dense, keep, m, k, xHost, n, new float[m], Activation.None);
        float[] expected = ProductOutputChecks.Epilogue(product, m, n, scaleHost, previous, biasHost, activation);

        using var x = Accelerator.Allocate<float>(xHost);
        using var bias = Accelerator.Allocate<float>(biasHost);
        using var scale = scaleHost is null ? null : Accelerator.Allocate<float>(scaleHost);
        using var csr = CsrMatrix.FromDense(Accelerator, dense, m, k, keep);
        using var block = BlockSparseMatrix.FromDense(Accelerator, dense, m, k, keep);
        void Multiply(ArrayView<float> y, ArrayView<float> rowBias, Activation rowActivation, ArrayView<float> rowScale, ProductOutput output)
        {
            var epilogue = RowEpilogue.Create(rowScale, rowBias, rowActivation, output);
            if (format == Format.Csr && portableKernel)
                Accelerator.Launch(n, m, new CsrGemmKernel { RowPointers = csr.RowPointers.View, ColumnIndices = csr.ColumnIndices.View, Values = csr.Values.View, X = x.View, Y = y, N = n, Epilogue = epilogue });
            else if (format == Format.Csr)
                SparseGemm.Multiply(Accelerator, csr, x.View, y, n, rowBias, rowActivation, rowScale, output);
            else if (portableKernel)
                Accelerator.Launch(n, m, new BlockSparseGemmKernel { BlockPointers = block.BlockPointers.View, BlockColumns = block.BlockColumns.View, Values = block.Values.View, X = x.View, Y = y, N = n, K = k, Epilogue = epilogue });
            else
                SparseGemm.Multiply(Accelerator, block, x.View, y, n, rowBias, rowActivation, output);
        }

        using var accumulated = Accelerator.Allocate<float>(previous);
        Multiply(accumulated.View, bias.View, activation, scale?.View ?? default, ProductOutput.Accumulate);
        Accelerator.Synchronize();
        GemmTestData.AssertClose(expected, accumulated.ToArray(), k, termScale: 2f);
        ProductOutputChecks.AccumulatingAddsExactlyToTheOverwrittenProduct(Accelerator, m * n, (y, output) => Multiply(y, default, Activation.None, default, output));
    }

    [Test]
    public void MagnitudeThresholdKeepsOnlyLargerWeights()
    {
        float[] dense = [0.5f, -0.05f, 0f, -0.9f, 0.1f, 0.2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        using var csr = CsrMatrix.FromDense(Accelerator, dense, 2, 9, 0.1f);
        using var blocks = BlockSparseMatrix.FromDense(Accelerator, dense, 2, 9, 0.1f);
        Assert.Multiple(() =>
        {
            Assert.That(csr.RowPointers.ToArray(), Is.EqualTo(new[] { 0, 3, 3 }));
            Assert.That(csr.ColumnIndices.ToArray(), Is.EqualTo(new[] { 0, 3, 5 }));
            Assert.That(csr.Values.ToArray(), Is.EqualTo(new[] { 0.5f, -0.9f, 0.2f }));
            Assert.That(blocks.BlockPointers.ToArray(), Is.EqualTo(new[] { 0, 1, 1 }));
            Assert.That(blocks.BlockColumns.ToArray(), Is.EqualTo(new[] { 0 }));
            Assert.That(blocks.Values.ToArray(), Is.EqualTo(new[] { 0.5f, 0f, 0f, -0.9f, 0f, 0.2f, 0f, 0f }));
        });
    }

    [Test]
    public void MismatchedOperandsAreRejected()
    {
        using var w = CsrMatrix.FromDense(Accelerator, new float[6], 2, 3, 0f);
        using var x = Accelerator.Allocate<float>(6);
        using var y = Accelerator.Allocate<float>(4);
        using var wrongY = Accelerator.Allocate<float>(5);
        Assert.Multiple(() =>
        {
            Assert.That(() => SparseGemm.Multiply(Accelerator, w, x.View, wrongY.View, 2), Throws.ArgumentException.With.Message.Contains("Y holds 5"));
            Assert.That(() => SparseGemm.Multiply(Accelerator, w, x.View, y.View, 2, x.View), Throws.ArgumentException.With.Message.Contains("bias"));
            Assert.That(() => CsrMatrix.FromDense(Accelerator, new float[5], 2, 3, 0f), Throws.ArgumentException.With.Message.Contains("2×3"));
        });
    }

    [TestCase(Format.Csr)]
    [TestCase(Format.Block)]
    public void ConvolutionMatchesADirectConvolution(Format format)
    {
        var geometry = new ConvGeometry(Channels: 3, Height: 9, Width: 11, KernelHeight: 3, KernelWidth: 3, Stride: 2, Padding: 2, Dilation: 2);
        int outChannels = 4, batch = 2;
        float[] weights = GemmTestData.Random(outChannels * geometry.PatchLength, 21);
        bool[] keep = MaskOf(weights.Length, 0.5, 22);
        for (int i = 0; i < weights.Length; i++)
            weights[i] = keep[i] ? weights[i] : 0f;
        float[] inputHost = GemmTestData.Random(batch * 3 * 9 * 11, 23), biasHost = GemmTestData.Random(outChannels, 24);
        float[] expected = DirectConvolution(weights, geometry, outChannels, inputHost, batch, biasHost);

        using var input = Accelerator.Allocate<float>(inputHost);
        using var output = Accelerator.Allocate<float>(batch * outChannels * geometry.OutputPositions);
        using var bias = Accelerator.Allocate<float>(biasHost);
        if (format == Format.Csr)
        {
            using var w = CsrMatrix.FromDense(Accelerator, weights, outChannels, geometry.PatchLength, keep);
            SparseConv2d.Forward(Accelerator, w, geometry, input.View, output.View, batch, bias.View);
        }
        else
        {
            using var w = BlockSparseMatrix.FromDense(Accelerator, weights, outChannels, geometry.PatchLength, keep);
            SparseConv2d.Forward(Accelerator, w, geometry, input.View, output.View, batch, bias.View);
        }
        Accelerator.Synchronize();

        GemmTestData.AssertClose(expected, output.ToArray(), geometry.PatchLength);
    }

    internal static bool[] MaskOf(int length, double dropFraction, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.NextDouble() >= dropFraction).ToArray();
    }

    internal static float[] MaskedReference(float[] dense, bool[] keep, int m, int k, float[] x, int n, float[] bias, Activation activation)
    {
        float[] masked = dense.Select((value, i) => keep[i] ? value : 0f).ToArray();
        var y = new float[m * n];
        GemmReference.Multiply(new GemmShape(m, n, k), masked, x, y);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[i * n + j] = activation.Apply(y[i * n + j] + bias[i]);
        return y;
    }

    private static float[] DirectConvolution(float[] weights, ConvGeometry g, int outChannels, float[] input, int batch, float[] bias)
    {
        var output = new float[batch * outChannels * g.OutputPositions];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outChannels; o++)
                for (int oy = 0; oy < g.OutputHeight; oy++)
                    for (int ox = 0; ox < g.OutputWidth; ox++)
                    {
                        double sum = bias[o];
                        for (int c = 0; c < g.Channels; c++)
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    int iy = oy * g.Stride - g.Padding + ky * g.Dilation, ix = ox * g.Stride - g.Padding + kx * g.Dilation;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width)
                                        continue;
                                    sum += (double)weights[((o * g.Channels + c) * g.KernelHeight + ky) * g.KernelWidth + kx]
                                        * input[((b * g.Channels + c) * g.Height + iy) * g.Width + ix];
                                }
                        output[((b * outChannels + o) * g.OutputHeight + oy) * g.OutputWidth + ox] = (float)sum;
                    }
        return output;
    }
}
