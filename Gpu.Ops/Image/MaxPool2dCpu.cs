using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="MaxPool2d"/>, separable: an output row is first the
/// element-wise max of its window's input rows (whole rows at a time), then each output pixel the
/// max over its window's columns of that row. Both layouts are the same loop: an NCHW plane is one
/// channel of one image and a pixel one float; an NHWC plane is a whole image and a pixel its C
/// channels side by side, so a row is contiguous either way and every max runs along it.</summary>
/// <remarks>The column max reads the row through a copy with −∞ pixels on either side, so no
/// window tests a border. For stride s the copy is split into s phases (pixels p ≡ r mod s,
/// packed), which turns window column v of every output pixel into one contiguous run: phase
/// v mod s from pixel v / s on. Every max is then a <c>TensorPrimitives.Max</c> of two runs, which
/// propagates NaN as the kernel does.</remarks>
internal static unsafe class MaxPool2dCpu
{
    /// <summary>Pools host-addressable <paramref name="input"/> into <paramref name="output"/>.</summary>
    public static void Forward(MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout)
    {
        int pixel = ImageStrides.Of(layout, shape.Channels, shape.Height, shape.Width).Column;
        int planes = shape.Batch * (shape.Channels / pixel);
        CpuRows.ForEachRowRange(planes * shape.OutHeight, (first, end) => PoolRows(shape, pixel, CpuRows.Pointer(input), CpuRows.Pointer(output), first, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PoolRows(MaxPool2dShape shape, int pixel, float* input, float* output, int first, int end)
    {
        int stride = shape.StrideX, outHeight = shape.OutHeight;
        int paddedWidth = shape.Padding.Left + shape.Width + shape.Padding.Right;
        int rowLength = shape.Width * pixel, outRowLength = shape.OutWidth * pixel;
        int phaseLength = (paddedWidth + stride - 1) / stride * pixel;
        var scratch = GC.AllocateUninitializedArray<float>(paddedWidth * pixel + (stride > 1 ? stride * phaseLength : 0));
        var runs = new float*[shape.KernelHeight + shape.KernelWidth];
        fixed (float* padded = scratch)
        fixed (float** run = runs)
        {
            float** columnRun = run + shape.KernelHeight;
            var paddedRow = new Span<float>(padded, paddedWidth * pixel);
            paddedRow[..(shape.Padding.Left * pixel)].Fill(float.NegativeInfinity);
            paddedRow[(shape.Padding.Left * pixel + rowLength)..].Fill(float.NegativeInfinity);
            var inner = paddedRow.Slice(shape.Padding.Left * pixel, rowLength);
            float* phases = stride > 1 ? padded + paddedWidth * pixel : padded;
            for (int v = 0; v < shape.KernelWidth; v++)
                columnRun[v] = phases + v % stride * phaseLength + v / stride * pixel;
            for (int row = first; row < end; row++)
            {
                int plane = row / outHeight, top = (row - plane * outHeight) * shape.StrideY - shape.Padding.Top;
                // Validate keeps padding within half the kernel, so every window holds an image row.
                int y = Math.Max(top, 0), rows = Math.Min(top + shape.KernelHeight, shape.Height) - y;
                for (int u = 0; u < rows; u++)
                    run[u] = input + ((long)plane * shape.Height + y + u) * rowLength;
                MaxOfRuns(inner, run, rows);
                if (stride == 2 && pixel == 1)
                    SplitPairs(padded, paddedWidth, phases, phaseLength);
                else if (stride > 1)
                    SplitPhases(padded, paddedWidth, pixel, stride, phases, phaseLength);
                MaxOfRuns(new Span<float>(output + (long)row * outRowLength, outRowLength), columnRun, shape.KernelWidth);
            }
        }
    }

    /// <summary><c>destination = max over k &lt; count of runs[k][0..destination.Length)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxOfRuns(Span<float> destination, float** runs, int count)
    {
        int length = destination.Length;
        if (count == 1)
        {
            new ReadOnlySpan<float>(runs[0], length).CopyTo(destination);
            return;
        }
        TensorPrimitives.Max(new ReadOnlySpan<float>(runs[0], length), new ReadOnlySpan<float>(runs[1], length), destination);
        for (int k = 2; k < count; k++)
            TensorPrimitives.Max(destination, new ReadOnlySpan<float>(runs[k], length), destination);
    }

    /// <summary>Phase r of <paramref name="phases"/> (at r·<paramref name="phaseLength"/>) gets
    /// pixels r, r + s, r + 2s, … of <paramref name="row"/>, packed.</summary>
    private static void SplitPhases(float* row, int width, int pixel, int stride, float* phases, int phaseLength)
    {
        for (int r = 0; r < stride; r++)
        {
            float* phase = phases + r * phaseLength;
            for (int p = r; p < width; p += stride, phase += pixel)
                new ReadOnlySpan<float>(row + p * pixel, pixel).CopyTo(new Span<float>(phase, pixel));
        }
    }

    /// <summary><see cref="SplitPhases"/> for stride 2 and one float per pixel (NCHW): even and odd
    /// floats, eight of each per step with AVX2.</summary>
    private static void SplitPairs(float* row, int width, float* phases, int phaseLength)
    {
        float* even = phases, odd = phases + phaseLength;
        int k = 0;
        if (Avx2.IsSupported)
        {
            for (; 2 * k + 2 * Vector256<float>.Count <= width; k += Vector256<float>.Count)
            {
                var a = Avx.LoadVector256(row + 2 * k);
                var b = Avx.LoadVector256(row + 2 * k + Vector256<float>.Count);
                // Shuffle picks within 128-bit lanes (a0 a2 b0 b2 | a4 a6 b4 b6); the permute puts the 64-bit pairs in order.
                Avx.Store(even + k, Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle());
                Avx.Store(odd + k, Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle());
            }
        }
        for (int p = 2 * k; p < width; p++)
            ((p & 1) == 0 ? even : odd)[p >> 1] = row[p];
    }
}
