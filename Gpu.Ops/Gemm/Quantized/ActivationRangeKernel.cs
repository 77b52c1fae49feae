using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The smallest and largest value of each <see cref="Chunk"/> consecutive elements of X, so
/// <see cref="ActivationQuantization.Choose"/> reads back a few partial ranges instead of all of X from
/// memory the host cannot address. A NaN anywhere in a chunk makes both of its values NaN, as
/// <c>TensorPrimitives.Min</c>/<c>Max</c> propagate it. Launched over <see cref="Parts"/>.</summary>
internal struct ActivationRangeKernel : IKernel1D
{
    /// <summary>Elements per work item.</summary>
    public const int Chunk = 1024;

    /// <summary>The tensor.</summary>
    public ArrayView<float> X;
    /// <summary>The chunks' minima, then their maxima: 2 × <see cref="Parts"/> floats.</summary>
    public ArrayView<float> Ranges;

    /// <summary>The work items over <paramref name="length"/> elements (at least one).</summary>
    /// <param name="length">Elements of X.</param>
    public static int Parts(long length) => (int)((length + Chunk - 1) / Chunk);

    /// <summary>Finds one chunk's range.</summary>
    /// <param name="part">Which chunk.</param>
    public void Execute(int part)
    {
        long start = (long)part * Chunk, end = Math.Min(X.Length, start + Chunk);
        float min = X[start], max = min;
        for (long i = start + 1; i < end; i++)
        {
            float value = X[i];
            // A NaN replaces the running value and then stays: no comparison with it holds.
            bool nan = float.IsNaN(value);
            min = nan || value < min ? value : min;
            max = nan || value > max ? value : max;
        }
        Ranges[part] = min;
        Ranges[Ranges.Length / 2 + part] = max;
    }
}
