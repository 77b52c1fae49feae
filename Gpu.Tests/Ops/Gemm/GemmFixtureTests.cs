using System.Runtime.InteropServices;
using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using Gpu.Ops.Gemm.Sparse;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Every GEMM path on every device against the PyTorch fixtures of
/// tools/reference/gemm_ops.py. Float results must lie within the float32 dot-product bound of
/// <see cref="GemmTestData.AssertClose"/> (4e-7·K·|term| + 1e-6 absolute plus 2e-6 relative) of
/// PyTorch's float64 result; quantized accumulators must equal the script's integers exactly.</summary>
public sealed class GemmFixtureTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>How a dense product is run.</summary>
    public enum DensePath
    {
        /// <summary>DenseGemm.Multiply: the device's own fast path.</summary>
        Dispatched,
        /// <summary>The one-thread-per-element kernel.</summary>
        Portable,
        /// <summary>The shared-memory tiled grouped kernel.</summary>
        Tiled,
    }

    /// <summary>How a linear layer's weight is stored and multiplied.</summary>
    public enum LinearPath { Dense, Csr, CsrPortable, BlockSparse, BlockSparsePortable, Codebook }

    /// <summary>Dispatched and portable paths on every case; the tiled kernel explicitly only where
    /// it costs few group launches, since the CPU runs grouped kernels on ILGPU's CPU accelerator, an emulator
    /// (on GPUs the dispatched path is the tiled kernel, so they run it on every case anyway).</summary>
    private static IEnumerable<TestCaseData> DenseCases()
        => from name in GemmFixture.CasesOf("dense")
           from path in Enum.GetValues<DensePath>()
           where path != DensePath.Tiled || TiledLaunchSteps(GemmFixture.Load("dense").Parameters(name)) <= 4
           select new TestCaseData(name, path);

    private static int TiledLaunchSteps(System.Text.Json.JsonElement parameters)
    {
        var shape = new GemmShape(parameters.GetProperty("m").GetInt32(), parameters.GetProperty("n").GetInt32(), parameters.GetProperty("k").GetInt32());
        var extent = TiledGemmKernel.ExtentOf(shape);
        return extent.GroupCount * ((shape.K + TiledGemmKernel.Depth - 1) / TiledGemmKernel.Depth);
    }

    private static IEnumerable<TestCaseData> LinearCases()
        => from name in GemmFixture.CasesOf("linear")
           let codebook = GemmFixture.Load("linear").Parameters(name).GetProperty("bits").GetInt32() != 0
           from path in codebook ? [LinearPath.Dense, LinearPath.Codebook] : Enum.GetValues<LinearPath>().Except([LinearPath.Codebook])
           select new TestCaseData(name, path);

    private static IEnumerable<TestCaseData> QuantizedCases()
        => from name in GemmFixture.CasesOf("quantized")
           from portable in new[] { false, true }
           select new TestCaseData(name, portable);

    [TestCaseSource(nameof(DenseCases))]
    public void DenseProductMatchesPyTorch(string caseName, DensePath path)
    {
        var fixture = GemmFixture.Load("dense");
        var parameters = fixture.Parameters(caseName);
        var shape = new GemmShape(parameters.GetProperty("m").GetInt32(), parameters.GetProperty("n").GetInt32(), parameters.GetProperty("k").GetInt32(),
            parameters.GetProperty("transpose_a").GetBoolean(), parameters.GetProperty("transpose_b").GetBoolean());
        float alpha = parameters.GetProperty("alpha").GetSingle(), beta = parameters.GetProperty("beta").GetSingle();
        var activation = GemmFixture.ActivationOf(parameters);
        float[]? biasHost = fixture.Find<float>(caseName, "bias");

        using var a = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "a"));
        using var b = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "b"));
        using var c = Accelerator.Allocate<float>(fixture.Get<float>(caseName, "c"));
        using var bias = Accelerator.Allocate<float>(biasHost ?? [0f]);
        var biasView = biasHost is null ? default : bias.View;
        var epilogue = GemmEpilogue.Create(shape.N, alpha, beta, biasView, activation);
        switch (path)
        {
            case DensePath.Dispatched:
                DenseGemm.Multiply(Accelerator, shape, a.View, b.View, c.View, alpha, beta, biasView, activation);
                break;
            case DensePath.Portable:
                Accelerator.Launch(shape.N, shape.M, SimpleGemmKernel.For(shape, a.View, b.View, c.View, epilogue));
                break;
            case DensePath.Tiled:
                Accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a.View, b.View, c.View, epilogue));
                break;
        }
        Accelerator.Synchronize();

        GemmTestData.AssertClose(fixture.Get<float>(caseName, "expected"), c.ToArray(), shape.K, termScale: Math.Max(1f, Math.Abs(alpha)));
    }

    [TestCaseSource(nameof(LinearCases))]
    public void LinearLayerMatchesPyTorch(string caseName, LinearPath path)
    {
        var fixture = GemmFixture.Load("linear");
        var parameters = fixture.Parameters(caseName);
        int batch = parameters.GetProperty("batch").GetInt32(), fanIn = parameters.GetProperty("in").GetInt32(), fanOut = parameters.GetProperty("out").GetInt32();
        var activation = GemmFixture.ActivationOf(parameters);
        float[] xHost = fixture.Get<float>(caseName, "x"), weight = fixture.Get<float>(caseName, "weight");
        float[] expected = fixture.Get<float>(caseName, "y");
        float[]? biasHost = fixture.Find<float>(caseName, "bias");
        using var bias = Accelerator.Allocate<float>(biasHost ?? [0f]);
        var biasView = biasHost is null ? default : bias.View;

        if (path == LinearPath.Dense)
        {
            // F.linear is x·Wᵀ: a product with B stored transposed, the bias per column of C.
            using var x = Accelerator.Allocate<float>(xHost);
            using var w = Accelerator.Allocate<float>(weight);
            using var y = Accelerator.Allocate<float>(batch * fanOut);
            DenseGemm.Multiply(Accelerator, new GemmShape(batch, fanOut, fanIn, TransposeB: true), x.View, w.View, y.View, bias: biasView, activation: activation);
            GemmTestData.AssertClose(expected, y.ToArray(), fanIn);
            return;
        }

        // The weight-stationary paths compute Y = W·X with X = xᵀ (in × batch), so Y = yᵀ.
        using var columns = Accelerator.Allocate<float>(Transpose(xHost, batch, fanIn));
        using var result = Accelerator.Allocate<float>(fanOut * batch);
        bool[] keep = fixture.Find<byte>(caseName, "mask")?.Select(flag => flag != 0).ToArray() ?? [];
        var epilogue = RowEpilogue.Create(biasView, activation);
        switch (path)
        {
            case LinearPath.Csr or LinearPath.CsrPortable:
            {
                using var csr = CsrMatrix.FromDense(Accelerator, weight, fanOut, fanIn, keep);
                Assert.That(csr.NonZeros, Is.EqualTo(keep.Count(flag => flag)));
                if (path == LinearPath.Csr)
                    SparseGemm.Multiply(Accelerator, csr, columns.View, result.View, batch, biasView, activation);
                else
                    Accelerator.Launch(batch, fanOut, new CsrGemmKernel { RowPointers = csr.RowPointers.View, ColumnIndices = csr.ColumnIndices.View, Values = csr.Values.View, X = columns.View, Y = result.View, N = batch, Epilogue = epilogue });
                Accelerator.Synchronize();
                break;
            }
            case LinearPath.BlockSparse or LinearPath.BlockSparsePortable:
            {
                using var blocks = BlockSparseMatrix.FromDense(Accelerator, weight, fanOut, fanIn, keep);
                if (path == LinearPath.BlockSparse)
                    SparseGemm.Multiply(Accelerator, blocks, columns.View, result.View, batch, biasView, activation);
                else
                    Accelerator.Launch(batch, fanOut, new BlockSparseGemmKernel { BlockPointers = blocks.BlockPointers.View, BlockColumns = blocks.BlockColumns.View, Values = blocks.Values.View, X = columns.View, Y = result.View, N = batch, K = fanIn, Epilogue = epilogue });
                Accelerator.Synchronize();
                break;
            }
            case LinearPath.Codebook:
            {
                using var codebook = new CodebookWeights(Accelerator, fixture.Get<byte>(caseName, "indices"), fixture.Get<float>(caseName, "centroids"),
                    fanOut, fanIn, parameters.GetProperty("bits").GetInt32());
                CodebookGemm.Multiply(Accelerator, codebook, columns.View, result.View, batch, biasView, activation);
                Accelerator.Synchronize();
                break;
            }
        }

        GemmTestData.AssertClose(Transpose(expected, batch, fanOut), result.ToArray(), fanIn);
    }

    [TestCaseSource(nameof(QuantizedCases))]
    public void QuantizedProductMatchesTheExactIntegers(string caseName, bool portableKernel)
    {
        var fixture = GemmFixture.Load("quantized");
        var parameters = fixture.Parameters(caseName);
        int m = parameters.GetProperty("m").GetInt32(), k = parameters.GetProperty("k").GetInt32(), n = parameters.GetProperty("n").GetInt32();
        bool signed = parameters.GetProperty("signed").GetBoolean();
        int zeroPoint = parameters.GetProperty("zero_point").GetInt32();
        float activationScale = parameters.GetProperty("activation_scale").GetSingle();
        var activation = GemmFixture.ActivationOf(parameters);
        byte[] activationBytes = signed ? MemoryMarshal.AsBytes<sbyte>(fixture.Get<sbyte>(caseName, "activations")).ToArray() : fixture.Get<byte>(caseName, "activations");
        float[]? biasHost = fixture.Find<float>(caseName, "bias");

        using var weights = QuantizedWeights.FromQuantized(Accelerator, fixture.Get<sbyte>(caseName, "weights"), fixture.Get<float>(caseName, "weight_scales"), m, k);
        using var x = Accelerator.Allocate<byte>(activationBytes);
        using var accumulators = Accelerator.Allocate<int>(m * n);
        using var y = Accelerator.Allocate<float>(m * n);
        using var bias = Accelerator.Allocate<float>(biasHost ?? [0f]);
        var biasView = biasHost is null ? default : bias.View;
        var operands = new QuantizedOperands
        {
            Weights = weights.Values.View, RowSums = weights.RowSums.View, Activations = x.View,
            SignedActivations = signed ? 1 : 0, ZeroPoint = zeroPoint, K = k,
        };
        if (portableKernel)
        {
            Accelerator.Launch(n, m, new QuantizedAccumulateKernel { Operands = operands, Accumulators = accumulators.View, N = n });
            Accelerator.Launch(n, m, new QuantizedGemmKernel
            {
                Operands = operands,
                Output = new QuantizedOutput
                {
                    WeightScales = weights.Scales.View, ActivationScale = activationScale, Y = y.View, N = n, Epilogue = RowEpilogue.Create(biasView, activation),
                },
            });
        }
        else
        {
            QuantizedGemm.Accumulate(Accelerator, weights, x.View, n, signed, zeroPoint, accumulators.View);
            QuantizedGemm.Multiply(Accelerator, weights, x.View, n, signed, zeroPoint, activationScale, y.View, biasView, activation);
        }
        Accelerator.Synchronize();

        Assert.That(accumulators.ToArray(), Is.EqualTo(fixture.Get<int>(caseName, "accumulators")));
        // Dequantising is three float32 roundings (scale product, scale·acc, + bias) per element.
        GemmTestData.AssertClose(fixture.Get<float>(caseName, "y"), y.ToArray(), k: 1);
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                transposed[j * rows + i] = matrix[i * columns + j];
        return transposed;
    }
}
