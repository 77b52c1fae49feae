using System.Runtime.CompilerServices;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>A weight-shared matrix (Deep Compression): every weight is a b-bit index (b ≤ 8) into
/// a per-layer table of 2^b centroids. The indices are stored bit-packed, b bits each, in the
/// layout described on <see cref="CodebookIndices"/>: a 4096×4096 layer of 5-bit indices takes
/// 10 MiB instead of 16 MiB at a byte per index.</summary>
public sealed class CodebookWeights : IDisposable
{
    /// <summary>Packs indices and uploads them with their table.</summary>
    /// <param name="accelerator">Where the weight lives.</param>
    /// <param name="indices">Rows × columns indices, one byte each, each below 2^<paramref name="bits"/>.</param>
    /// <param name="centroids">2^bits centroid values.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <exception cref="ArgumentException">A length or an index is out of range.</exception>
    public CodebookWeights(Accelerator accelerator, ReadOnlySpan<byte> indices, ReadOnlySpan<float> centroids, int rows, int columns, int bits)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        uint[] packed = CodebookIndices.Pack(indices, rows, columns, bits);
        if (centroids.Length != 1 << bits)
            throw new ArgumentException($"{bits}-bit indices need {1 << bits} centroids; got {centroids.Length}.", nameof(centroids));
        Rows = rows;
        Columns = columns;
        Bits = bits;
        WordsPerRow = CodebookIndices.WordsPerRow(columns, bits);
        PackedIndices = accelerator.Allocate<uint>(packed);
        Centroids = accelerator.Allocate<float>(centroids);
    }

    /// <summary>Rows of W.</summary>
    public int Rows { get; }
    /// <summary>Columns of W.</summary>
    public int Columns { get; }
    /// <summary>Bits per index.</summary>
    public int Bits { get; }
    /// <summary>Words each packed row takes (<see cref="CodebookIndices.WordsPerRow"/>).</summary>
    public int WordsPerRow { get; }
    /// <summary>The indices, Rows × <see cref="WordsPerRow"/> words laid out as described on <see cref="CodebookIndices"/>.</summary>
    public DeviceBuffer<uint> PackedIndices { get; }
    /// <summary>The centroid table.</summary>
    public DeviceBuffer<float> Centroids { get; }

    /// <summary>Reads the indices back from the device, one byte each.</summary>
    /// <returns>Rows × columns indices, row-major.</returns>
    public byte[] UnpackIndices() => CodebookIndices.Unpack(PackedIndices.ToArray(), Rows, Columns, Bits);

    /// <inheritdoc/>
    public void Dispose()
    {
        PackedIndices.Dispose();
        Centroids.Dispose();
    }
}

/// <summary>Products with codebook weights. On the CPU (AVX2 and FMA) each weight row is decoded
/// into L1 and then run through the dense row loop a tile of columns at a time, so the decode and
/// lookup cost K per row and tile rather than K per output. On OpenCL and CUDA devices the grouped kernel
/// (<see cref="CodebookGemmGroupedKernel"/>) runs, with the table in shared memory; on any other
/// device the portable <see cref="CodebookGemmKernel"/>.</summary>
public static class CodebookGemm
{
    /// <summary>Multiplies codebook weights by dense activations X (K×N).</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten or added to.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="scale">M factors applied before the bias (a folded norm, which a shared codebook cannot absorb), or empty.</param>
    /// <param name="output">Whether Y is overwritten or the product added to it (before the bias and activation).</param>
    public static void Multiply(Accelerator accelerator, CodebookWeights weights, ArrayView<float> x, ArrayView<float> y, int n,
        ArrayView<float> bias = default, Activation activation = default, ArrayView<float> scale = default, ProductOutput output = ProductOutput.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        Sparse.SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        accelerator.CheckView(x);
        accelerator.CheckView(y);
        accelerator.CheckView(bias);
        OperandChecks.Disjoint(x, y);
        OperandChecks.Disjoint(bias, y);
        Sparse.SparseShape.CheckScale(weights.Rows, scale.Length);
        accelerator.CheckView(scale);
        OperandChecks.Disjoint(scale, y);
        var epilogue = RowEpilogue.Create(scale, bias, activation, output);
        if (accelerator.IsHostAddressable() && CpuRows.IsSupported)
            MultiplyOnHost(CodebookGemmKernel.For(weights, x, y, n, epilogue), weights.Rows);
        else if (accelerator.Device.Kind is DeviceKind.OpenCL or DeviceKind.Cuda)
            accelerator.LaunchGrouped(CodebookGemmGroupedKernel.ExtentOf(weights.Rows, n), CodebookGemmGroupedKernel.For(weights, x, y, n, epilogue));
        else
            accelerator.Launch(n, weights.Rows, CodebookGemmKernel.For(weights, x, y, n, epilogue));
    }

    private static unsafe void MultiplyOnHost(CodebookGemmKernel kernel, int rows)
    {
        // The host decodes from the words' address: ILGPU's host indexer would check every access.
        uint* indices = CpuRows.Pointer(kernel.Indices);
        if (kernel.N <= CpuRows.ColumnTile)
        {
            // One tile of columns would leave every core but one idle, and packing X buys nothing at this width: split the rows instead.
            CpuRows.ForEachRowRange(rows, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
            {
                float* decoded = ThreadScratch.PackedA(kernel.K);
                for (int row = first; row < end; row++)
                    AccumulateRow(kernel, indices, row, decoded, 0, kernel.N, CpuRows.Pointer(kernel.X));
            });
            return;
        }
        CpuRows.ForEachColumnTile(kernel.X, kernel.K, kernel.N, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, width, tile) =>
        {
            float* decoded = ThreadScratch.PackedA(kernel.K);
            // Decoding a row again per tile costs K lookups against the tile's K·ColumnTile multiply-adds.
            for (int row = 0; row < rows; row++)
                AccumulateRow(kernel, indices, row, decoded, start, width, tile);
        });
    }

    /// <summary>Columns [start, start + width) of one output row: the weight row decoded into
    /// <paramref name="decoded"/>, then each weight adds its scaled row of <paramref name="xRows"/>
    /// (rows <paramref name="width"/> floats apart), then the epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AccumulateRow(in CodebookGemmKernel kernel, uint* indices, int row, float* decoded, int start, int width, float* xRows)
    {
        int k = kernel.K, rowStart = row * kernel.WordsPerRow;
        float* table = CpuRows.Pointer(kernel.Centroids);
        var words = new ReadOnlySpan<uint>(indices, (int)kernel.Indices.Length);
        for (int t = 0; t < k; t++)
            decoded[t] = table[CodebookIndices.At(words, rowStart, t, kernel.Bits)];
        float* yRow = CpuRows.Pointer(kernel.Y) + (long)row * kernel.N + start;
        var epilogue = new CpuRows.HostRowEpilogue(kernel.Epilogue);
        float* previous = epilogue.KeepPrevious(yRow, width);
        new Span<float>(yRow, width).Clear();
        for (int t = 0; t < k; t++)
            CpuRows.Axpy(yRow, decoded[t], xRows + (long)t * width, width);
        epilogue.Finish(yRow, width, row, previous);
    }
}
