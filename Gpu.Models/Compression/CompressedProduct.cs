using Gpu.Core;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using ILGPU;

namespace Gpu.Models.Compression;

/// <summary>The weight side of a compressed route: a layer's weight matrix (O × C·KH·KW for a
/// convolution, outputs × inputs for a linear layer) in a sparse, codebook or int8 form built from
/// the stored tensor without a dense copy, with the layer's per-row epilogue, multiplied by a
/// column-major operand (one image's im2col matrix, or a linear layer's transposed rows).</summary>
internal sealed class CompressedProduct : IDisposable
{
    private readonly IDisposable weights;
    private readonly DeviceBuffer<float> scale, shift;
    private readonly Action<ArrayView<float>, ArrayView<float>, int, ProductOutput> multiply;

    private CompressedProduct(IDisposable weights, DeviceBuffer<float> scale, DeviceBuffer<float> shift, Action<ArrayView<float>, ArrayView<float>, int, ProductOutput> multiply)
    {
        this.weights = weights;
        this.scale = scale;
        this.shift = shift;
        this.multiply = multiply;
    }

    /// <summary>Builds the route's <paramref name="rows"/> × <paramref name="columns"/> weights from
    /// <paramref name="stored"/> (whose shape the caller checked: its first dimension the rows, the rest the columns).</summary>
    /// <exception cref="InvalidDataException">The payload is corrupt.</exception>
    /// <exception cref="ArgumentException">The stored values cannot form the route's matrix (an int8 value of −128).</exception>
    public static CompressedProduct Build(Accelerator accelerator, ConvRoute route, CompressedTensor stored, int rows, int columns, Conv2dEpilogue epilogue)
    {
        var (hostScale, hostShift) = epilogue.PerChannelAffine(rows);
        var activation = epilogue.Activation;
        // A scale of one everywhere (no folded norm) is left out, sparing the kernels a load and a multiply;
        // so is a shift of zero everywhere (a layer with no bias, such as an LSTM's recurrent product).
        bool scaled = hostScale.Any(s => s != 1f), shifted = hostShift.Any(s => s != 0f);
        var scale = accelerator.Allocate<float>(scaled ? hostScale : [0f]);
        var shift = accelerator.Allocate<float>(shifted ? hostShift : [0f]);
        ArrayView<float> Scale() => scaled ? scale.View : default;
        ArrayView<float> Shift() => shifted ? shift.View : default;
        try
        {
            switch (route)
            {
                case ConvRoute.Sparse:
                {
                    var csr = SparseRows(accelerator, stored.DecodeSparse(), rows, columns);
                    return new(csr, scale, shift, (x, y, n, output) => SparseGemm.Multiply(accelerator, csr, x, y, n, Shift(), activation, Scale(), output));
                }
                case ConvRoute.Codebook:
                {
                    var entries = stored.DecodeCodebook();
                    // The product indexes a full table of 2^bits entries; a codebook k-means left short is padded.
                    float[] table = [.. entries.Centroids, .. new float[(1 << entries.Bits) - entries.Centroids.Length]];
                    var codebook = new CodebookWeights(accelerator, entries.Indices, table, rows, columns, entries.Bits);
                    return new(codebook, scale, shift, (x, y, n, output) => CodebookGemm.Multiply(accelerator, codebook, x, y, n, Shift(), activation, Scale(), output));
                }
                case ConvRoute.Int8:
                {
                    var entries = stored.DecodeInt8();
                    // A per-channel factor folds exactly into the per-channel weight scale.
                    float[] scales = [.. entries.Scales.Select((s, o) => s * hostScale[o])];
                    var quantized = QuantizedWeights.FromQuantized(accelerator, entries.Values, scales, rows, columns);
                    return new(quantized, scale, shift, (x, y, n, output) => QuantizedGemm.MultiplyDynamic(accelerator, quantized, x, n, y, Shift(), activation, output));
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(route), route, "Only the sparse, codebook and int8 routes have a compressed product.");
            }
        }
        catch
        {
            scale.Dispose();
            shift.Dispose();
            throw;
        }
    }

    /// <summary><c>y = epilogue(W · x)</c>, or <c>epilogue(W · x + y)</c> accumulating: x the columns × <paramref name="n"/> operand, y rows × n.</summary>
    public void Multiply(ArrayView<float> x, ArrayView<float> y, int n, ProductOutput output) => multiply(x, y, n, output);

    /// <summary>Frees the weights and the epilogue's buffers.</summary>
    public void Dispose()
    {
        weights.Dispose();
        scale.Dispose();
        shift.Dispose();
    }

    /// <summary>The kept weights in CSR: positions are row-major over (O, C·KH·KW) and ascending, so
    /// the row of each is its position over the row length and the rows come out in order.</summary>
    private static CsrMatrix SparseRows(Accelerator accelerator, SparseEntries entries, int rows, int columns)
    {
        var rowPointers = new int[rows + 1];
        var columnIndices = new int[entries.Positions.Length];
        for (int e = 0; e < entries.Positions.Length; e++)
        {
            rowPointers[entries.Positions[e] / columns + 1]++;
            columnIndices[e] = entries.Positions[e] % columns;
        }
        for (int row = 0; row < rows; row++)
            rowPointers[row + 1] += rowPointers[row];
        return CsrMatrix.FromRows(accelerator, rows, columns, rowPointers, columnIndices, entries.Values);
    }
}
