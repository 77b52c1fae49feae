using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>A weight-shared matrix (Deep Compression): every weight is a b-bit index (b ≤ 8, one
/// byte each here) into a per-layer table of 2^b centroids.</summary>
public sealed class CodebookWeights : IDisposable
{
    /// <summary>Wraps indices and their table.</summary>
    /// <param name="accelerator">Where the weight lives.</param>
    /// <param name="indices">Rows × columns indices, each below 2^<paramref name="bits"/>.</param>
    /// <param name="centroids">2^bits centroid values.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <exception cref="ArgumentException">A length or an index is out of range.</exception>
    public CodebookWeights(Accelerator accelerator, ReadOnlySpan<byte> indices, ReadOnlySpan<float> centroids, int rows, int columns, int bits)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (bits is < 1 or > 8)
            throw new ArgumentException($"Codebook indices have 1–8 bits, got {bits}.", nameof(bits));
        if (rows <= 0 || columns <= 0 || indices.Length != (long)rows * columns)
            throw new ArgumentException($"A {rows}×{columns} weight needs {(long)rows * columns} indices; got {indices.Length}.", nameof(indices));
        if (centroids.Length != 1 << bits)
            throw new ArgumentException($"{bits}-bit indices need {1 << bits} centroids; got {centroids.Length}.", nameof(centroids));
        foreach (byte index in indices)
            if (index >= 1 << bits)
                throw new ArgumentException($"Index {index} does not fit in {bits} bits.", nameof(indices));
        Rows = rows;
        Columns = columns;
        Bits = bits;
        Indices = accelerator.Allocate<byte>(indices);
        Centroids = accelerator.Allocate<float>(centroids);
    }

    /// <summary>Rows of W.</summary>
    public int Rows { get; }
    /// <summary>Columns of W.</summary>
    public int Columns { get; }
    /// <summary>Bits per index.</summary>
    public int Bits { get; }
    /// <summary>The indices, row-major.</summary>
    public DeviceBuffer<byte> Indices { get; }
    /// <summary>The centroid table.</summary>
    public DeviceBuffer<float> Centroids { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Indices.Dispose();
        Centroids.Dispose();
    }
}

/// <summary><c>Y = act(W·X + bias)</c> with W decoded from a codebook on the fly; one thread per
/// output element. Launched over N × Rows.</summary>
public struct CodebookGemmKernel : IKernel2D
{
    /// <summary>The indices, Rows×K.</summary>
    public View<byte> Indices;
    /// <summary>The centroid table.</summary>
    public View<float> Centroids;
    /// <summary>X, K×N.</summary>
    public View<float> X;
    /// <summary>Y, Rows×N.</summary>
    public View<float> Y;
    /// <summary>Columns of X and Y.</summary>
    public int N;
    /// <summary>Columns of W.</summary>
    public int K;
    /// <summary>Bias and activation.</summary>
    public RowEpilogue Epilogue;

    /// <summary>Computes Y[row, column].</summary>
    /// <param name="column">Column of Y.</param>
    /// <param name="row">Row of Y.</param>
    public void Execute(int column, int row)
    {
        float sum = 0f;
        for (int k = 0; k < K; k++)
            sum += Centroids[Indices[row * K + k]] * X[k * N + column];
        Y[row * N + column] = RowEpilogue.Apply(Epilogue, sum, row);
    }
}

/// <summary>Products with codebook weights. The CPU path decodes one weight row into L1 and then
/// runs the dense row loop on it, so the lookup costs K per row rather than K per output.</summary>
public static class CodebookGemm
{
    /// <summary>Multiplies codebook weights by dense activations X (K×N).</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, M×N, overwritten.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="bias">M biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    public static unsafe void Multiply(Accelerator accelerator, CodebookWeights weights, View<float> x, View<float> y, int n,
        View<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        Sparse.SparseShape.CheckOperands(weights.Rows, weights.Columns, n, x.Length, y.Length, bias.Length);
        var kernel = new CodebookGemmKernel
        {
            Indices = weights.Indices.View, Centroids = weights.Centroids.View, X = x, Y = y, N = n, K = weights.Columns,
            Epilogue = RowEpilogue.Create(bias, activation),
        };
        if (!accelerator.IsHostAddressable() || !CpuRows.IsSupported)
        {
            accelerator.Launch(n, weights.Rows, kernel);
            return;
        }
        CpuRows.ForEachRowRange(weights.Rows, (first, end) =>
        {
            int k = kernel.K;
            byte* indices = CpuRows.Pointer(kernel.Indices);
            float* table = CpuRows.Pointer(kernel.Centroids), xHost = CpuRows.Pointer(kernel.X), yHost = CpuRows.Pointer(kernel.Y);
            float* decoded = ThreadScratch.PackedA(k);
            for (int row = first; row < end; row++)
            {
                byte* rowIndices = indices + (long)row * k;
                for (int t = 0; t < k; t++)
                    decoded[t] = table[rowIndices[t]];
                float* yRow = yHost + (long)row * n;
                new Span<float>(yRow, n).Clear();
                for (int t = 0; t < k; t++)
                    CpuRows.Axpy(yRow, decoded[t], xHost + (long)t * n, n);
                CpuRows.Finish(yRow, n, row, kernel.Epilogue);
            }
        });
    }
}
