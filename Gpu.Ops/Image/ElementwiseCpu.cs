using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>CPU paths of the element-wise image ops (<see cref="ScaleAddActivateKernel"/>,
/// <see cref="ChannelAffineKernel"/>): the tensor is cut into parts spread over the cores, and
/// each part's passes (products, sums, activation) run back to back while it is in the core's
/// cache. Results equal the portable kernels' bit for bit (no multiply-add is fused), except
/// sigmoid and tanh, whose vectorised exponentials (TensorPrimitives) may differ from MathF's in
/// the last bits.</summary>
internal static unsafe class ElementwiseCpu
{
    /// <summary>Elements per part: 64 KB a stream, so an add's three streams stay in a 512 KB L2
    /// between passes, and a 1080p map still yields thousands of parts to balance.</summary>
    public const int PartLength = 16384;

    /// <summary>Length of the tiled scale and shift rows of an interleaved (NHWC) affine: long
    /// enough that a TensorPrimitives call per row costs nothing, short enough for L1.</summary>
    private const int TileLength = 1024;

    /// <summary>Runs <paramref name="body"/>(part, segment, start, length) in parallel over parts of
    /// at most <paramref name="partLength"/> units of <paramref name="segments"/> runs of
    /// <paramref name="segmentLength"/> units each; a part never straddles two runs, and parts are
    /// numbered run by run from 0.</summary>
    /// <returns>The number of parts.</returns>
    public static int ForEachPart(int segments, int segmentLength, int partLength, Action<int, int, int, int> body)
    {
        int partsPerSegment = Math.Max(1, (segmentLength + partLength - 1) / partLength);
        int parts = segments * partsPerSegment;
        Parallel.For(0, parts, CpuRows.OneWorkerPerCore, part =>
        {
            int segment = part / partsPerSegment, piece = part - segment * partsPerSegment;
            int start = (int)((long)segmentLength * piece / partsPerSegment), end = (int)((long)segmentLength * (piece + 1) / partsPerSegment);
            body(part, segment, start, end - start);
        });
        return parts;
    }

    /// <summary>The kernel over all of its output, whose operands are each the output or disjoint from it
    /// (<see cref="Elementwise"/> refuses partial overlaps, which TensorPrimitives rejects too).</summary>
    public static void ScaleAddActivate(ScaleAddActivateKernel kernel)
    {
        int length = kernel.Output.IntLength;
        bool readsB = kernel.ScaleB != 0f;
        ForEachPart(1, length, PartLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, _, start, count) =>
        {
            var a = new ReadOnlySpan<float>(CpuRows.Pointer(kernel.A) + start, count);
            var b = new ReadOnlySpan<float>(CpuRows.Pointer(kernel.B) + start, readsB ? count : 0);
            var output = new Span<float>(CpuRows.Pointer(kernel.Output) + start, count);
            float scaleA = kernel.ScaleA, scaleB = kernel.ScaleB;
            ReadOnlySpan<float> value = output;
            // The portable kernel's (scaleA·a) + (scaleB·b), each product and the sum rounded alone;
            // a factor of 1 is left out, which changes no bit.
            if (!readsB)
            {
                if (scaleA == 1f)
                    value = a;
                else
                    TensorPrimitives.Multiply(a, scaleA, output);
            }
            else if (scaleA == 1f && scaleB == 1f)
                TensorPrimitives.Add(a, b, output);
            else if (scaleA == 1f)
                TensorPrimitives.MultiplyAdd(b, scaleB, a, output);
            else if (scaleB == 1f)
                TensorPrimitives.MultiplyAdd(a, scaleA, b, output);
            else
            {
                // The output may be a or b, so the first product goes to scratch, not the output.
                var products = new Span<float>(ThreadScratch.Row(count), count);
                TensorPrimitives.Multiply(b, scaleB, products);
                TensorPrimitives.MultiplyAdd(a, scaleA, products, output);
            }
            Activate(value, output, kernel.Activation, kernel.Slope);
        });
    }

    /// <summary>The kernel over all of its input: per channel plane (channel divisor &gt; 1, NCHW) a
    /// scalar product and sum, per run of pixels (divisor 1, NHWC) a product and sum with rows of
    /// scale and shift tiled to the channel period; then the activation while the part is cached.
    /// The output is the input or disjoint from it (<see cref="ChannelAffineKernel.Launch(Accelerator, ChannelAffineKernel, bool)"/> refuses partial overlaps).</summary>
    public static void ChannelAffine(ChannelAffineKernel kernel)
    {
        int length = (int)kernel.Input.Length, channels = kernel.Channels, divisor = kernel.ChannelDivisor;
        if (divisor > 1)
        {
            ForEachPart(length / divisor, divisor, PartLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, plane, start, count) =>
            {
                long offset = (long)plane * divisor + start;
                var input = new ReadOnlySpan<float>(CpuRows.Pointer(kernel.Input) + offset, count);
                var output = new Span<float>(CpuRows.Pointer(kernel.Output) + offset, count);
                int c = plane % channels;
                TensorPrimitives.Multiply(input, CpuRows.Pointer(kernel.Scale)[c], output);
                TensorPrimitives.Add(output, CpuRows.Pointer(kernel.Shift)[c], output);
                Activate(output, output, kernel.Activation, kernel.Slope);
            });
            return;
        }
        int pixelsPerRow = Math.Max(1, TileLength / channels), rowLength = pixelsPerRow * channels;
        float[] scaleRow = Tile(new ReadOnlySpan<float>(CpuRows.Pointer(kernel.Scale), channels), rowLength);
        float[] shiftRow = Tile(new ReadOnlySpan<float>(CpuRows.Pointer(kernel.Shift), channels), rowLength);
        ForEachPart(1, length / channels, Math.Max(1, PartLength / channels), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, _, start, count) =>
        {
            var input = new ReadOnlySpan<float>(CpuRows.Pointer(kernel.Input) + (long)start * channels, count * channels);
            var output = new Span<float>(CpuRows.Pointer(kernel.Output) + (long)start * channels, count * channels);
            for (int row = 0; row < input.Length; row += rowLength)
            {
                int n = Math.Min(rowLength, input.Length - row);
                TensorPrimitives.MultiplyAdd(input.Slice(row, n), scaleRow.AsSpan(0, n), shiftRow.AsSpan(0, n), output.Slice(row, n));
            }
            Activate(output, output, kernel.Activation, kernel.Slope);
        });
    }

    /// <summary><paramref name="values"/> repeated to <paramref name="length"/> (a multiple of its length).</summary>
    public static float[] Tile(ReadOnlySpan<float> values, int length)
    {
        var row = new float[length];
        for (int i = 0; i < length; i += values.Length)
            values.CopyTo(row.AsSpan(i));
        return row;
    }

    /// <summary><c>output = act(x)</c> with the portable kernel's semantics; the spans are one or disjoint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Activate(ReadOnlySpan<float> x, Span<float> output, ActivationKind kind, float slope)
    {
        switch (kind)
        {
            case ActivationKind.Relu:
                Select<ReluSelect>(x, output, slope, kind);
                break;
            case ActivationKind.LeakyRelu:
                Select<LeakySelect>(x, output, slope, kind);
                break;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(x, output);
                break;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(x, output);
                break;
            default:
                // Spans here are one or disjoint; copying one onto itself would be a wasted pass.
                if (!x.Overlaps(output))
                    x.CopyTo(output);
                break;
        }
    }

    /// <summary>A piecewise activation as one compare and select a vector; the tail takes the scalar code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Select<TSelect>(ReadOnlySpan<float> x, Span<float> output, float slope, ActivationKind kind) where TSelect : struct, IVectorSelect
    {
        var factor = new Vector<float>(slope);
        int i = 0;
        fixed (float* source = x, target = output)
        {
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
                Vector.Store(TSelect.Apply(Vector.Load(source + i), factor), target + i);
        }
        for (; i < x.Length; i++)
            output[i] = Activation.Apply(kind, slope, x[i]);
    }

    /// <summary>A piecewise-linear activation on a vector.</summary>
    private interface IVectorSelect
    {
        static abstract Vector<float> Apply(Vector<float> x, Vector<float> slope);
    }

    /// <summary><c>x &lt; 0 ? 0 : x</c>: NaN stays NaN (as in PyTorch), as in the scalar code.</summary>
    private struct ReluSelect : IVectorSelect
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> slope) => Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), Vector<float>.Zero, x);
    }

    /// <summary><c>x ≥ 0 ? x : slope·x</c> for any slope (not <c>max(x, slope·x)</c>, which equals it
    /// only for 0 ≤ slope ≤ 1): NaN stays NaN, −0 stays −0.</summary>
    private struct LeakySelect : IVectorSelect
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> slope) => Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<float>.Zero), x, x * slope);
    }
}
