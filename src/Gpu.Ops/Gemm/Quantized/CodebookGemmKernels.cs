using Gpu.Core;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The portable codebook product <c>Y = act(W·X + bias)</c>: one thread per output
/// element, each index read at random from the packed words and looked up in global memory.
/// Launched over N × Rows, wherever the CPU row path does not run.</summary>
public struct CodebookGemmKernel : IKernel2D
{
    /// <summary>The packed indices (<see cref="CodebookIndices"/>).</summary>
    public View<uint> Indices;
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
    /// <summary>Bits per index.</summary>
    public int Bits;
    /// <summary>Words per packed row.</summary>
    public int WordsPerRow;
    /// <summary>Bias and activation.</summary>
    public RowEpilogue Epilogue;

    /// <summary>The kernel for a product.</summary>
    /// <param name="weights">W.</param>
    /// <param name="x">X, K×N.</param>
    /// <param name="y">Y, Rows×N.</param>
    /// <param name="n">Columns of X and Y.</param>
    /// <param name="epilogue">Bias and activation.</param>
    /// <returns>The kernel, to launch over N × Rows.</returns>
    public static CodebookGemmKernel For(CodebookWeights weights, View<float> x, View<float> y, int n, RowEpilogue epilogue) => new()
    {
        Indices = weights.PackedIndices.View, Centroids = weights.Centroids.View, X = x, Y = y, N = n, K = weights.Columns,
        Bits = weights.Bits, WordsPerRow = weights.WordsPerRow, Epilogue = epilogue,
    };

    /// <summary>Computes Y[row, column].</summary>
    /// <param name="column">Column of Y.</param>
    /// <param name="row">Row of Y.</param>
    public void Execute(int column, int row)
    {
        float sum = 0f;
        int rowStart = row * WordsPerRow;
        for (int k = 0; k < K; k++)
            sum += Centroids[CodebookIndices.At(Indices, rowStart, k, Bits)] * X[k * N + column];
        Y[row * N + column] = RowEpilogue.Apply(Epilogue, sum, row);
    }
}
