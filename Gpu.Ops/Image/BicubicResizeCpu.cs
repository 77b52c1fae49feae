using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="BicubicResize"/>, separable: the four source positions and
/// weights of every output column and of every output row are computed once per call; each source
/// row a range of output rows needs is resampled horizontally once into one of four row buffers,
/// and each output row is the weighted sum of four buffered rows, vectorised along the row (an
/// image that shrinks vertically sums its four source rows first and resamples the sum). Both
/// layouts are the same loop: an NCHW plane is one channel of one image and a pixel one float; an
/// NHWC plane is a whole image and a pixel its C channels, summed as one vector per tap.</summary>
/// <remarks>Weights and clamping are the portable kernel's, and so is every addition, in the
/// kernel's order (taps left to right, then rows top to bottom, no fused multiply-add), wherever
/// the image does not shrink vertically: there both paths give the same floats. Where it shrinks,
/// the rows are summed first (fewer scalar gathers), which rounds differently: each output is
/// still 16 float products and 15 additions of weights summing to 1, within a few units in the
/// last place of the largest |weight·value| sum, well inside the reference tests' 2e-6 absolute
/// plus 2e-6 relative tolerance for values of order 1.</remarks>
internal static unsafe class BicubicResizeCpu
{
    /// <summary>Resizes host-addressable <paramref name="input"/> into <paramref name="output"/>.</summary>
    public static void Forward(ArrayView<float> input, ArrayView<float> output, TensorLayout layout, int batch, int channels, int height, int width, int outHeight, int outWidth)
    {
        int pixel = ImageStrides.Of(layout, channels, height, width).Column;
        int planes = batch * (channels / pixel);
        var columns = new BicubicTaps((float)width / outWidth, outWidth, width, pixel, lanes: 1);
        var rows = new BicubicTaps((float)height / outHeight, outHeight, height, 1, lanes: 1);
        CpuRows.ForEachRowRange(planes * outHeight, (first, end) =>
            ResizeRows(CpuRows.Pointer(input), CpuRows.Pointer(output), pixel, height, width * pixel, outHeight, outWidth, columns, rows, first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResizeRows(float* input, float* output, int pixel, int height, int rowLength, int outHeight, int outWidth, BicubicTaps columns, BicubicTaps rows, int first, int end)
    {
        int outRowLength = outWidth * pixel;
        // Horizontal resampling is a gather, scalar in NCHW; the vertical sum is a vector loop. So
        // the horizontal pass goes where it has fewer rows to do: over each source row once when
        // the image grows vertically, over the output rows after the vertical sum when it shrinks.
        bool verticalFirst = height > outHeight;
        var buffers = GC.AllocateUninitializedArray<float>(verticalFirst ? rowLength : 4 * outRowLength);
        // The four taps of an output row lie within four consecutive source rows, so source row y
        // can live in buffer y mod 4; it stays there for the following output rows that need it.
        int* buffered = stackalloc int[4], slots = stackalloc int[4];
        float* slotWeights = stackalloc float[4];
        int bufferedPlane = -1;
        fixed (float* buffer = buffers)
        fixed (int* columnIndex = columns.Offset, rowIndex = rows.Offset)
        fixed (float* columnWeight = columns.Weight, rowWeight = rows.Weight)
        {
            for (int row = first; row < end; row++)
            {
                int plane = row / outHeight, i = row - plane * outHeight;
                float* planeInput = input + (long)plane * height * rowLength, outputRow = output + (long)row * outRowLength;
                int* y4 = rowIndex + i;
                float* w4 = rowWeight + i;
                if (verticalFirst)
                {
                    Combine(buffer, rowLength, planeInput, rowLength, y4, w4, outHeight);
                    ResampleRow(buffer, outputRow, pixel, outWidth, columnIndex, columnWeight);
                    continue;
                }
                if (plane != bufferedPlane)
                {
                    new Span<int>(buffered, 4).Fill(-1);
                    bufferedPlane = plane;
                }
                for (int u = 0; u < 4; u++)
                {
                    int y = y4[u * outHeight];
                    slots[u] = y & 3;
                    slotWeights[u] = w4[u * outHeight];
                    if (buffered[y & 3] != y)
                    {
                        ResampleRow(planeInput + (long)y * rowLength, buffer + (y & 3) * outRowLength, pixel, outWidth, columnIndex, columnWeight);
                        buffered[y & 3] = y;
                    }
                }
                Combine(outputRow, outRowLength, buffer, outRowLength, slots, slotWeights, 1);
            }
        }
    }

    /// <summary>One row resampled to the output width: every output pixel the weighted sum of its
    /// four source pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ResampleRow(float* source, float* destination, int pixel, int outWidth, int* index, float* weight)
    {
        for (int j = 0; j < outWidth; j++, index++, weight++, destination += pixel)
            Combine(destination, pixel, source, 1, index, weight, outWidth);
    }

    /// <summary><c>destination[k] = Σ_t weight[t·tapStride]·(source + offset[t·tapStride]·stride)[k]</c> for
    /// k &lt; <paramref name="length"/> and four taps t, added in tap order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine(float* destination, int length, float* source, long stride, int* offset, float* weight, int tapStride)
    {
        float* a = source + offset[0] * stride, b = source + offset[tapStride] * stride,
            c = source + offset[2 * tapStride] * stride, d = source + offset[3 * tapStride] * stride;
        float wa = weight[0], wb = weight[tapStride], wc = weight[2 * tapStride], wd = weight[3 * tapStride];
        int k = 0;
        if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
        {
            Vector256<float> va = Vector256.Create(wa), vb = Vector256.Create(wb), vc = Vector256.Create(wc), vd = Vector256.Create(wd);
            for (; k + Vector256<float>.Count <= length; k += Vector256<float>.Count)
                Vector256.Store(va * Vector256.Load(a + k) + vb * Vector256.Load(b + k) + vc * Vector256.Load(c + k) + vd * Vector256.Load(d + k), destination + k);
        }
        for (; k < length; k++)
            destination[k] = wa * a[k] + wb * b[k] + wc * c[k] + wd * d[k];
    }
}
