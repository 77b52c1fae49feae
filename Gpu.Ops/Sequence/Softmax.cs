using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>Softmax and log-softmax over the last dimension of a row-major rows × columns matrix.
/// The row maximum is subtracted first, so magnitudes far beyond e^88 stay finite.</summary>
public static class Softmax
{
    /// <summary>Writes softmax (or log-softmax) of every row of <paramref name="input"/> to <paramref name="output"/>.</summary>
    /// <param name="accelerator">The accelerator owning both views.</param>
    /// <param name="input">rows × columns scores.</param>
    /// <param name="output">rows × columns results; may be the input itself.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Entries per row (the dimension normalised).</param>
    /// <param name="logarithm">Log-softmax instead of softmax.</param>
    /// <exception cref="ArgumentException">A dimension is not positive or a view has the wrong length.</exception>
    public static void Forward(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, int rows, int columns, bool logarithm = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Validate(input.Length, output.Length, rows, columns);
        // A row's scores are all read before its results are written, by one thread: in place is fine.
        OperandChecks.DisjointOrSame(input, output);
        accelerator.Launch(rows, new SoftmaxRowsKernel { Input = input, Output = output, Columns = columns, Logarithm = logarithm ? 1 : 0 });
    }

    /// <summary>The plain reference, in double precision.</summary>
    /// <param name="input">rows × columns scores.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Entries per row.</param>
    /// <param name="logarithm">Log-softmax instead of softmax.</param>
    /// <returns>The rows × columns results.</returns>
    public static float[] Reference(ReadOnlySpan<float> input, int rows, int columns, bool logarithm = false)
    {
        Validate(input.Length, input.Length, rows, columns);
        var result = new float[input.Length];
        for (int row = 0; row < rows; row++)
        {
            var scores = input.Slice(row * columns, columns);
            double max = double.NegativeInfinity;
            foreach (float score in scores)
                max = Math.Max(max, score);
            double sum = 0;
            foreach (float score in scores)
                sum += Math.Exp(score - max);
            for (int column = 0; column < columns; column++)
            {
                double shifted = scores[column] - max;
                result[row * columns + column] = (float)(logarithm ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum);
            }
        }
        return result;
    }

    private static void Validate(long inputLength, long outputLength, int rows, int columns)
    {
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"Softmax needs positive dimensions, got {rows} × {columns}.");
        long expected = (long)rows * columns;
        if (inputLength != expected || outputLength != expected)
            throw new ArgumentException($"Softmax of {rows} × {columns} needs {expected} elements in and out, got {inputLength} and {outputLength}.");
    }
}

/// <summary>One thread per row: maximum, sum of shifted exponentials, then the normalised row.</summary>
internal struct SoftmaxRowsKernel : IKernel1D
{
    public ArrayView<float> Input, Output;
    public int Columns;
    public int Logarithm;

    public void Execute(int row)
    {
        int start = row * Columns;
        float max = Input[start];
        for (int column = 1; column < Columns; column++)
            max = MathF.Max(max, Input[start + column]);
        float sum = 0f;
        for (int column = 0; column < Columns; column++)
            sum += MathF.Exp(Input[start + column] - max);
        if (Logarithm != 0)
        {
            float logSum = MathF.Log(sum);
            for (int column = 0; column < Columns; column++)
                Output[start + column] = Input[start + column] - max - logSum;
        }
        else
        {
            float scale = 1f / sum;
            for (int column = 0; column < Columns; column++)
                Output[start + column] = MathF.Exp(Input[start + column] - max) * scale;
        }
    }
}
