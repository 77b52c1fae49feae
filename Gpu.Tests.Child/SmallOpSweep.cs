using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using Gpu.Ops.Sequence;
using ILGPU;

namespace Gpu.Tests.Child;

/// <summary>Every op of Gpu.Ops once at a small size, each device kernel path it has on a GPU-class
/// device: what a memory checker (Oclgrind) watches. Sizes are not multiples of the kernels' tiles,
/// so the edge handling runs too. Results are checked by the op tests, not here: this sweep is for
/// out-of-bounds accesses, uninitialised reads and races, which a right answer can hide.</summary>
public static class SmallOpSweep
{
    /// <summary>The ops by name.</summary>
    public static IReadOnlyList<(string Name, Action<Buffers> Run)> All { get; } =
    [
        ("dense-gemm-simple", a => Gemm(a, new GemmShape(7, 9, 5))),
        // Below one register block prepared transposed weights are read as they stand, not from the stored transpose.
        ("dense-gemm-simple-transposed", a => Gemm(a, new GemmShape(3, 20, 9, TransposeB: true))),
        ("dense-gemm-tiled", a => Gemm(a, new GemmShape(37, 45, 29))),
        ("dense-gemm-tiled-transposed", a => Gemm(a, new GemmShape(33, 40, 21, TransposeA: true, TransposeB: true))),
        ("dense-gemm-register-blocked", RegisterBlockedGemm),
        ("dense-gemm-dot-product", DotProductGemm),
        ("dense-gemm-weight-rows", WeightRowsGemm),
        ("conv2d-direct", a => Conv(a, Conv2dPath.Direct, TensorLayout.RowMajor)),
        ("conv2d-direct-nhwc", a => Conv(a, Conv2dPath.Direct, TensorLayout.Nhwc)),
        ("conv2d-tiled", a => Conv(a, Conv2dPath.Tiled, TensorLayout.RowMajor)),
        // 45 columns: the register-blocked kernel's middle 16-pixel run takes its unchecked loop, the others the checked one.
        ("conv2d-register-blocked", a => Conv(a, Conv2dPath.RegisterBlocked, TensorLayout.RowMajor, width: 45)),
        ("elementwise", Elementwise_),
        ("softmax", a => Softmax.Forward(a.Accelerator, a.Filled(5 * 11), a.Empty(5 * 11), 5, 11, logarithm: true)),
        ("ctc-greedy", a => CtcGreedy.Decode(a.Accelerator, a.Filled(6 * 2 * 5), 6, 2, 5)),
        ("max-pool", MaxPool),
        ("layout-conversion", Layouts),
        ("color-conversion", Colors),
        ("bicubic-resize", a => BicubicResize.Forward(a.Accelerator, a.Filled(2 * 3 * 7 * 9), a.Empty(2 * 3 * 13 * 17), TensorLayout.RowMajor, 2, 3, 7, 9, 13, 17)),
        ("adaptive-normalization", Normalization),
        ("barrier-free-schedules", BarrierFreeSchedules),
        ("sparse-gemm", SparseProducts),
        ("sparse-conv2d", SparseConvolutions),
        ("im2col", a => Im2Col.Unfold(a.Accelerator, Geometry, a.Filled(Geometry.Channels * Geometry.Height * Geometry.Width),
            a.Empty((long)Geometry.PatchLength * Geometry.OutputPositions))),
        ("quantized-gemm", QuantizedProducts),
        ("codebook-gemm", CodebookProduct),
        ("lstm", Lstm_),
        ("sru", Sru_),
    ];

    private static readonly ConvGeometry Geometry = new(3, 9, 7, 3, 3, Padding: 1);

    /// <summary>Runs every op; a failing op is reported and the rest still run.</summary>
    /// <returns>One line per op: its name and <c>ran</c>, or what it threw.</returns>
    public static string Run(Accelerator accelerator)
    {
        var lines = new List<string>();
        foreach (var (name, run) in All)
        {
            try
            {
                using var buffers = new Buffers(accelerator);
                run(buffers);
                accelerator.Synchronize();
                lines.Add($"{name} ran");
            }
            catch (Exception e)
            {
                lines.Add($"{name} threw {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>Values in [−1, 1) from a fixed sequence.</summary>
    private static float[] Values(long length) => [.. Enumerable.Range(0, (int)length).Select(i => (i * 7919 % 2003) / 1001.5f - 1f)];

    /// <summary>The CPU-runtime GEMM kernel, launched directly: DenseGemm picks it only on OpenCL
    /// devices of CPU type, and the simulator is not one. Every combination of transposes (the panel
    /// copies read each), blocks sliding back at the edges in M and N, one item per block and the column walk.</summary>
    private static void RegisterBlockedGemm(Buffers buffers)
    {
        foreach (bool transposeA in (bool[])[false, true])
            foreach (bool transposeB in (bool[])[false, true])
                foreach (bool walkColumns in (bool[])[false, true])
                {
                    var shape = new GemmShape(17, 35, 9, transposeA, transposeB);
                    var epilogue = GemmEpilogue.Create(shape.N, 0.5f, 1f, buffers.Filled(shape.N), Activation.Leaky(0.1f));
                    RegisterBlockedGemmKernel.Launch(buffers.Accelerator, shape, buffers.Filled((long)shape.M * shape.K), buffers.Filled((long)shape.K * shape.N),
                        buffers.Filled((long)shape.M * shape.N), epilogue, walkColumns);
                }
    }

    /// <summary>The CPU-runtime kernel of small-batch linear layers, launched directly for the same
    /// reason: three rows of A, K past two whole 16-wide segments (the scalar tail), an odd N, the epilogue reading C.</summary>
    private static void DotProductGemm(Buffers buffers)
    {
        var shape = new GemmShape(3, 5, 37, TransposeB: true);
        var epilogue = GemmEpilogue.Create(shape.N, 0.5f, 1f, buffers.Filled(shape.N), Activation.Leaky(0.1f));
        buffers.Accelerator.Launch(shape.N, DotProductGemmKernel.For(shape, buffers.Filled((long)shape.M * shape.K), buffers.Filled((long)shape.K * shape.N),
            buffers.Filled((long)shape.M * shape.N), epilogue));
    }

    /// <summary>The CPU-runtime kernel of a linear layer's weight read as stored, launched directly for the
    /// same reason: 17 rows (a second panel of A slid back over the first), 13 columns (the last item slid
    /// back), K off the 16-wide segments; the copy of A into panels and the transposing epilogue with it.</summary>
    private static void WeightRowsGemm(Buffers buffers)
    {
        var shape = new GemmShape(17, 13, 9, TransposeB: true);
        var epilogue = GemmEpilogue.Create(shape.N, 0.5f, 1f, buffers.Filled(shape.N), Activation.Leaky(0.1f));
        WeightRowsGemmKernel.Launch(buffers.Accelerator, shape, buffers.Filled((long)shape.M * shape.K), buffers.Filled((long)shape.K * shape.N),
            buffers.Filled((long)shape.M * shape.N), epilogue);
    }

    private static void Gemm(Buffers buffers, GemmShape shape)
    {
        var accelerator = buffers.Accelerator;
        var c = buffers.Filled((long)shape.M * shape.N);
        DenseGemm.Multiply(accelerator, shape, buffers.Filled((long)shape.M * shape.K), buffers.Filled((long)shape.K * shape.N), c,
            alpha: 0.5f, beta: 1f, bias: buffers.Filled(shape.N), activation: Activation.Leaky(0.1f));
        using var packed = DenseGemm.PackB(accelerator, shape, buffers.Filled((long)shape.K * shape.N));
        DenseGemm.Multiply(accelerator, shape, buffers.Filled((long)shape.M * shape.K), packed, c);
    }

    private static void Conv(Buffers buffers, Conv2dPath path, TensorLayout layout, int width = 21)
    {
        var accelerator = buffers.Accelerator;
        var shape = Conv2dShape.Same(2, 5, 19, width, 6, 3);
        using var conv = new Conv2d(accelerator, shape, Values(shape.WeightLength), new Conv2dEpilogue { Bias = Values(shape.OutChannels), Activation = Activation.Relu });
        conv.Forward(buffers.Filled(shape.InputLength), buffers.Empty(shape.OutputLength), layout,
            residual: buffers.Filled(shape.OutputLength), path: path);
        var strided = shape with { Stride = 2, Dilation = 2, Padding = Padding2d.Symmetric(2) };
        using var stridedConv = new Conv2d(accelerator, strided, Values(strided.WeightLength));
        stridedConv.Forward(buffers.Filled(strided.InputLength), buffers.Empty(strided.OutputLength), layout, path: path);
    }

    private static void Elementwise_(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int length = 1000;
        var output = buffers.Empty(length);
        Elementwise.Activate(accelerator, buffers.Filled(length), output, Activation.Relu);
        Elementwise.Scale(accelerator, buffers.Filled(length), output, 3f);
        Elementwise.Add(accelerator, buffers.Filled(length), buffers.Filled(length), output, 0.5f, 2f, Activation.Leaky(0.2f));
        Elementwise.Clamp(accelerator, buffers.Filled(length), output, -0.5f, 0.5f);
    }

    private static void MaxPool(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        var shape = new MaxPool2dShape(2, 3, 9, 11, 3, 3, 2, 2, Padding2d.Symmetric(1));
        foreach (var layout in new[] { TensorLayout.RowMajor, TensorLayout.Nhwc })
            MaxPool2d.Forward(accelerator, shape, buffers.Filled(shape.InputLength), buffers.Empty(shape.OutputLength), layout, preferPortableKernel: true);
    }

    private static void Layouts(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int batch = 2, channels = 3, height = 5, width = 7;
        ImageLayoutConversion.Convert(accelerator, buffers.Filled(batch * channels * height * width), TensorLayout.RowMajor,
            buffers.Empty(batch * channels * height * width), TensorLayout.Nhwc, batch, channels, height, width, preferPortableKernel: true);
        ImageLayoutConversion.ToTimeMajor(accelerator, buffers.Filled(batch * channels * width), TensorLayout.Nhwc,
            buffers.Empty(batch * channels * width), batch, channels, width, preferPortableKernel: true);
    }

    private static void Colors(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int batch = 2, height = 5, width = 9, length = batch * 3 * height * width;
        ColorConversion.RgbToYCbCr(accelerator, buffers.Filled(length), buffers.Empty(length), TensorLayout.RowMajor, batch, height, width, preferPortableKernel: true);
        ColorConversion.YCbCrToRgb(accelerator, buffers.Filled(length), buffers.Empty(length), TensorLayout.Nhwc, batch, height, width, preferPortableKernel: true);
    }

    private static void Normalization(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int channels = 4, batch = 2, height = 5, width = 6, length = batch * channels * height * width;
        var norm = new AdaptiveNormalization(0.7f, 0.3f, Values(channels), Values(channels), 1e-5f) { PreferPortableKernels = true };
        norm.ForwardBatch(accelerator, buffers.Filled(length), buffers.Empty(length), TensorLayout.RowMajor, batch, height, width, Activation.Relu);
        float[] variance = [.. Values(channels).Select(v => v * v + 0.5f)];
        norm.ForwardFolded(accelerator, buffers.Filled(length), buffers.Empty(length), TensorLayout.Nhwc, batch, height, width, Values(channels), variance);
    }

    /// <summary>The kernels ops take only where a device prefers barrier-free schedules (an OpenCL CPU
    /// runtime, which Oclgrind, reporting every device type, is not), launched directly.</summary>
    private static void BarrierFreeSchedules(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        // 33×33 pixels: a run longer than one block of the statistics kernel, ending in a part lane set.
        const int channels = 2, batch = 1, height = 33, width = 33, length = batch * channels * height * width;
        accelerator.LaunchGrouped(ChannelStatisticsRowKernel.ExtentOf(channels), new ChannelStatisticsRowKernel
        {
            Input = buffers.Filled(length), Moments = buffers.Empty(2 * channels),
            Strides = ImageStrides.Of(TensorLayout.RowMajor, channels, height, width), Channels = channels, Batch = batch, Pixels = height * width,
        });
        // 65×65 pixels: planes of two parts of the parts schedule, the second ending in a part lane set.
        const int partPixels = 65 * 65, partLength = channels * partPixels;
        int partCount = ChannelStatisticsPartKernel.PartCount(channels, batch, partPixels);
        var parts = buffers.Empty(2 * partCount);
        accelerator.Launch(partCount, new ChannelStatisticsPartKernel
        {
            Input = buffers.Filled(partLength), Parts = parts, Strides = ImageStrides.Of(TensorLayout.RowMajor, channels, 65, 65),
            Channels = channels, Batch = batch, Pixels = partPixels,
        });
        accelerator.Launch(channels, new ChannelStatisticsMergeKernel
        {
            Parts = parts, Moments = buffers.Empty(2 * channels), Channels = channels, Batch = batch, Pixels = partPixels,
        });
        var sum = new ScaleAddActivateKernel
        {
            A = buffers.Filled(length), B = buffers.Filled(length), Output = buffers.Empty(length),
            ScaleA = 0.5f, ScaleB = 2f, Slope = 0.2f,
        };
        accelerator.Launch(length, new ScaleAddActivateKernel<LeakyReluFunction> { Parameters = sum });
        var affine = new ChannelAffineKernel
        {
            Input = buffers.Filled(length), Output = buffers.Empty(length), Scale = buffers.Filled(channels),
            Shift = buffers.Filled(channels), ChannelDivisor = height * width, Channels = channels,
        };
        accelerator.Launch(height * width, batch * channels, new ChannelAffineKernel<TanhFunction> { Parameters = affine });
        accelerator.Launch(channels, batch * height * width, new ChannelAffinePixelKernel<TanhFunction> { Parameters = affine with { ChannelDivisor = 1 } });
        PoolRows(buffers);
        BicubicPasses(buffers);
        LstmCellRows(buffers);
        SparseRowSegmentProducts(buffers);
        QuantizedPanelProducts(buffers);
        SruSegments(buffers);
    }

    /// <summary>The SRU recurrence's segment schedule, launched directly (the layer picks it only on
    /// OpenCL devices of CPU type): 21 hidden columns, one whole segment and five trailing columns,
    /// both directions, both highways.</summary>
    private static void SruSegments(Buffers buffers)
    {
        const int steps = 3, batch = 2, hidden = 21, directions = 2, state = directions * batch * hidden;
        foreach (int blocks in new[] { 3, 4 })
        {
            int inputSize = blocks == 3 ? hidden : 5;
            SruRecurrenceSegmentKernel.Launch(buffers.Accelerator, new SruRecurrenceKernel
            {
                Projections = buffers.Filled(steps * batch * directions * blocks * hidden), Input = buffers.Filled(steps * batch * inputSize),
                Output = buffers.Empty(steps * batch * directions * hidden), InitialCell = buffers.Filled(state), FinalCell = buffers.Empty(state),
                ForgetWeights = buffers.Filled(directions * hidden), ResetWeights = buffers.Filled(directions * hidden),
                Steps = steps, Batch = batch, Hidden = hidden, InputSize = inputSize, Directions = directions, Blocks = blocks,
                HasInitialCell = 1, Tanh = blocks == 3 ? 1 : 0,
            });
        }
    }

    /// <summary>The pooling row kernels, launched directly (the ops pick them only on OpenCL devices
    /// of CPU type): every window type with padding, so each row has left
    /// border, interior and right border columns, in both layouts.</summary>
    private static void PoolRows(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        foreach (var layout in new[] { TensorLayout.RowMajor, TensorLayout.Nhwc })
        {
            var square = new MaxPool2dShape(2, 3, 9, 11, 2, 2, 2, 2, Padding2d.Symmetric(1));
            accelerator.Launch(square.OutHeight, square.Batch * square.Channels, MaxPool2dRowKernel<PoolWindow2x2Stride2>.For(square,
                buffers.Filled(square.InputLength), buffers.Empty(square.OutputLength), layout));
            var tall = square with { StrideX = 1, Padding = Padding2d.Of(0, 1) };
            accelerator.Launch(tall.OutHeight, tall.Batch * tall.Channels, MaxPool2dRowKernel<PoolWindow2x2Stride2x1>.For(tall,
                buffers.Filled(tall.InputLength), buffers.Empty(tall.OutputLength), layout));
            var same = square with { KernelHeight = 3, KernelWidth = 3, StrideY = 1, StrideX = 1 };
            accelerator.Launch(same.OutHeight, same.Batch * same.Channels, MaxPool2dRowKernel<PoolWindow3x3Stride1>.For(same,
                buffers.Filled(same.InputLength), buffers.Empty(same.OutputLength), layout));
        }
    }

    /// <summary>The bicubic resize's two passes, launched directly (the op picks them only on OpenCL
    /// devices of CPU type): in both orders (an image that shrinks vertically sums its rows first), up one
    /// way and down the other, sides of 3 (every tap clamped at some entry), in both layouts.</summary>
    private static void BicubicPasses(Buffers buffers)
    {
        const int batch = 2, channels = 3;
        foreach (var layout in new[] { TensorLayout.RowMajor, TensorLayout.Nhwc })
        foreach (var (height, width, outHeight, outWidth) in new[] { (7, 3, 4, 8), (3, 7, 5, 4) })
            BicubicResizeSeparable.Forward(buffers.Accelerator, buffers.Filled(batch * channels * height * width),
                buffers.Empty(batch * channels * outHeight * outWidth), layout, batch, channels, height, width, outHeight, outWidth);
    }

    /// <summary>The LSTM's cell kernel of barrier-free schedules, launched directly: 3 sequences of 7
    /// cells, reading the previous cell and the peepholes.</summary>
    private static void LstmCellRows(Buffers buffers)
    {
        const int cells = 7, batch = 3;
        buffers.Accelerator.Launch(cells, batch, new LstmCellRowsKernel
        {
            Cell = new LstmCellKernel
            {
                Gates = buffers.Filled(batch * 4 * cells), PreviousCell = buffers.Filled(batch * cells), Cell = buffers.Empty(batch * cells),
                Hidden = buffers.Empty(batch * cells), PeepholeInput = buffers.Filled(cells), PeepholeForget = buffers.Filled(cells),
                PeepholeOutput = buffers.Filled(cells), Cells = cells,
            },
        });
    }

    /// <summary>The quantized products' panel kernel (both stores), its transposition and the activation range
    /// kernel, launched directly: 18 rows and 21 columns, so the last panel is padded and the last column block slides back.</summary>
    private static void QuantizedPanelProducts(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int rows = 18, columns = 23, n = 21;
        using var weights = QuantizedWeights.Quantize(accelerator, Values(rows * columns), rows, columns);
        var activations = buffers.Of<byte>([.. Enumerable.Range(0, columns * n).Select(i => (byte)(i * 37))]);
        var operands = new QuantizedOperands
        {
            Weights = weights.Values.View, RowSums = weights.RowSums.View, Activations = activations, ZeroPoint = 128, K = columns,
        };
        // Two chunks, the second partly filled.
        var x = buffers.Filled(ActivationRangeKernel.Chunk + 37);
        accelerator.Launch(2, new ActivationRangeKernel { X = x, Ranges = buffers.Empty(4) });
        using (QuantizedGemm.Transpose(accelerator, weights, operands, n, out var transposed))
        {
            QuantizedGemm.LaunchPanels(accelerator, transposed, new QuantizedAccumulatorStore { Accumulators = buffers.Of(new int[rows * n]), N = n });
            QuantizedGemm.LaunchPanels(accelerator, transposed, new QuantizedOutputStore
            {
                Output = new QuantizedOutput
                {
                    WeightScales = weights.Scales.View, ActivationScale = 0.01f, Y = buffers.Empty(rows * n), N = n,
                    Epilogue = RowEpilogue.Create(buffers.Filled(rows), Activation.Relu),
                },
            });
        }
    }

    /// <summary>The sparse products' row-segment kernels and the block product's one-column kernel, launched
    /// directly (SparseGemm picks them only on OpenCL devices of CPU type): 21 columns, so the last segment
    /// slides back over the first.</summary>
    private static void SparseRowSegmentProducts(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int rows = 13, columns = 19, n = 21, segments = 2;
        float[] dense = Values(rows * columns);
        var epilogue = RowEpilogue.Create(buffers.Filled(rows), buffers.Filled(rows), Activation.Relu);
        using var csr = CsrMatrix.FromDense(accelerator, dense, rows, columns, 0.3f);
        accelerator.Launch(rows, segments, new CsrRowSegmentKernel
        {
            Product = new CsrGemmKernel
            {
                RowPointers = csr.RowPointers.View, ColumnIndices = csr.ColumnIndices.View, Values = csr.Values.View,
                X = buffers.Filled(columns * n), Y = buffers.Empty(rows * n), N = n, Epilogue = epilogue,
            },
        });
        using var blocks = BlockSparseMatrix.FromDense(accelerator, dense, rows, columns, 0.3f);
        accelerator.Launch(rows, segments, new BlockSparseRowSegmentKernel
        {
            Product = new BlockSparseGemmKernel
            {
                BlockPointers = blocks.BlockPointers.View, BlockColumns = blocks.BlockColumns.View, Values = blocks.Values.View,
                X = buffers.Filled(columns * n), Y = buffers.Empty(rows * n), N = n, K = columns, Epilogue = RowEpilogue.Create(buffers.Filled(rows), Activation.Relu),
            },
        });
        // The block product's one-column kernel: 19 columns, so each row's last block runs past W's edge.
        accelerator.Launch(rows, new BlockSparseDotKernel
        {
            Product = new BlockSparseGemmKernel
            {
                BlockPointers = blocks.BlockPointers.View, BlockColumns = blocks.BlockColumns.View, Values = blocks.Values.View,
                X = buffers.Filled(columns), Y = buffers.Empty(rows), N = 1, K = columns, Epilogue = RowEpilogue.Create(buffers.Filled(rows), Activation.Relu),
            },
        });
    }

    private static void SparseProducts(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int rows = 13, columns = 19, n = 5;
        float[] dense = Values(rows * columns);
        using var csr = CsrMatrix.FromDense(accelerator, dense, rows, columns, 0.3f);
        SparseGemm.Multiply(accelerator, csr, buffers.Filled(columns * n), buffers.Empty(rows * n), n, buffers.Filled(rows), Activation.Relu, buffers.Filled(rows));
        using var blocks = BlockSparseMatrix.FromDense(accelerator, dense, rows, columns, 0.3f);
        SparseGemm.Multiply(accelerator, blocks, buffers.Filled(columns * n), buffers.Empty(rows * n), n, buffers.Filled(rows), Activation.Relu);
    }

    private static void SparseConvolutions(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int outChannels = 5, batch = 2;
        float[] dense = Values(outChannels * Geometry.PatchLength);
        long input = (long)batch * Geometry.Channels * Geometry.Height * Geometry.Width, output = (long)batch * outChannels * Geometry.OutputPositions;
        using var csr = CsrMatrix.FromDense(accelerator, dense, outChannels, Geometry.PatchLength, 0.3f);
        SparseConv2d.Forward(accelerator, csr, Geometry, buffers.Filled(input), buffers.Empty(output), batch, buffers.Filled(outChannels));
        using var blocks = BlockSparseMatrix.FromDense(accelerator, dense, outChannels, Geometry.PatchLength, 0.3f);
        SparseConv2d.Forward(accelerator, blocks, Geometry, buffers.Filled(input), buffers.Empty(output), batch, buffers.Filled(outChannels));
    }

    private static void QuantizedProducts(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int rows = 11, columns = 23, n = 3;
        using var weights = QuantizedWeights.Quantize(accelerator, Values(rows * columns), rows, columns);
        QuantizedGemm.MultiplyDynamic(accelerator, weights, buffers.Filled(columns * n), n, buffers.Empty(rows * n), buffers.Filled(rows), Activation.Relu);
        var activations = buffers.Of<byte>([.. Enumerable.Range(0, columns * n).Select(i => (byte)(i * 37))]);
        QuantizedGemm.Multiply(accelerator, weights, activations, n, signedActivations: false, zeroPoint: 128, activationScale: 0.01f, buffers.Empty(rows * n));
        QuantizedGemm.Accumulate(accelerator, weights, activations, n, signedActivations: true, zeroPoint: 0, buffers.Of(new int[rows * n]));
    }

    private static void CodebookProduct(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int rows = 9, columns = 21, n = 4, bits = 3;
        byte[] indices = [.. Enumerable.Range(0, rows * columns).Select(i => (byte)(i * 5 % (1 << bits)))];
        using var weights = new CodebookWeights(accelerator, indices, Values(1 << bits), rows, columns, bits);
        CodebookGemm.Multiply(accelerator, weights, buffers.Filled(columns * n), buffers.Empty(rows * n), n, buffers.Filled(rows), Activation.Relu, buffers.Filled(rows));
    }

    private static Dictionary<string, float[]> Weights(IEnumerable<(string Name, int Length)> names)
        => names.ToDictionary(w => w.Name, w => Values(w.Length));

    private static void Lstm_(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int steps = 4, batch = 2;
        var options = new LstmOptions(InputSize: 5, HiddenSize: 6, ProjectionSize: 3, Layers: 2, Bidirectional: true, Peepholes: true);
        var weights = Weights(Enumerable.Range(0, options.Layers).SelectMany(l => Enumerable.Range(0, options.Directions).SelectMany(d => options.WeightNames(l, d))));
        using var lstm = new Lstm(accelerator, options, weights);
        lstm.Forward(buffers.Filled(steps * batch * options.InputSize), steps, batch, buffers.Empty(steps * batch * options.Directions * options.OutputSize));
    }

    private static void Sru_(Buffers buffers)
    {
        var accelerator = buffers.Accelerator;
        const int steps = 4, batch = 2;
        var options = new SruOptions(InputSize: 5, HiddenSize: 6, Bidirectional: true, RecurrentWeights: true);
        using var sru = new Sru(accelerator, options, Weights(Enumerable.Range(0, options.Directions).SelectMany(options.WeightNames)));
        sru.Forward(buffers.Filled(steps * batch * options.InputSize), steps, batch, buffers.Empty(steps * batch * options.Directions * options.HiddenSize));
    }

    /// <summary>The buffers one op uses, freed together when it is done.</summary>
    public sealed class Buffers(Accelerator accelerator) : IDisposable
    {
        private readonly List<IDisposable> owned = [];

        /// <summary>The device the buffers live on.</summary>
        public Accelerator Accelerator { get; } = accelerator;

        /// <summary>A buffer holding <paramref name="values"/>.</summary>
        public ArrayView<T> Of<T>(T[] values) where T : unmanaged
        {
            var buffer = Accelerator.Allocate<T>(values);
            owned.Add(buffer);
            return buffer.View;
        }

        /// <summary>A buffer of <paramref name="length"/> values of the sweep's fixed sequence.</summary>
        public ArrayView<float> Filled(long length) => Of(Values(length));

        /// <summary>An uninitialised buffer for an op's output, so that reading it before writing
        /// it shows as an uninitialised read.</summary>
        public ArrayView<float> Empty(long length)
        {
            var buffer = Accelerator.Allocate<float>(length);
            owned.Add(buffer);
            return buffer.View;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var buffer in owned)
                buffer.Dispose();
        }
    }
}
