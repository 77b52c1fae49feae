using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Image;

/// <summary>The CPU path of <see cref="ColorTransformKernel"/>: image rows over the cores, eight
/// pixels per instruction where a row's pixels are contiguous per channel (NCHW), a plain pixel loop
/// where they interleave (NHWC). The same multiplies and adds in the kernel's order, no FMA, so
/// the results equal the kernel's to the bit.</summary>
internal static unsafe class ColorConversionCpu
{
    /// <summary>Runs the transform over every pixel; false where the host cannot address the views.</summary>
    public static bool TryRun(Accelerator accelerator, ColorTransformKernel kernel, int batch, int height, int width)
    {
        if (!accelerator.IsHostAddressable())
            return false;
        CpuRows.ForEachRowRange(batch * height, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            float* input = CpuRows.Pointer(kernel.Input), output = CpuRows.Pointer(kernel.Output);
            for (int row = first; row < end; row++)
            {
                int at = ImageStrides.OffsetOf(kernel.Strides, row / height, 0, row % height, 0);
                TransformRow(kernel, input + at, output + at, width);
            }
        });
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformRow(in ColorTransformKernel k, float* input, float* output, int width)
    {
        int step = k.Strides.Channel, column = k.Strides.Column;
        int x = 0;
        if (column == 1)
        {
            for (; x + Vector256<float>.Count <= width; x += Vector256<float>.Count)
            {
                var a = Vector256.Load(input + x);
                var b = Vector256.Load(input + step + x);
                var c = Vector256.Load(input + 2 * step + x);
                // Computed before any store: the output may be the input.
                var first = Vector256.Create(k.M00) * a + Vector256.Create(k.M01) * b + Vector256.Create(k.M02) * c + Vector256.Create(k.Offset0);
                var second = Vector256.Create(k.M10) * a + Vector256.Create(k.M11) * b + Vector256.Create(k.M12) * c + Vector256.Create(k.Offset1);
                var third = Vector256.Create(k.M20) * a + Vector256.Create(k.M21) * b + Vector256.Create(k.M22) * c + Vector256.Create(k.Offset2);
                first.Store(output + x);
                second.Store(output + step + x);
                third.Store(output + 2 * step + x);
            }
        }
        for (; x < width; x++)
        {
            float* source = input + (long)x * column, target = output + (long)x * column;
            float a = source[0], b = source[step], c = source[2 * step];
            target[0] = k.M00 * a + k.M01 * b + k.M02 * c + k.Offset0;
            target[step] = k.M10 * a + k.M11 * b + k.M12 * c + k.Offset1;
            target[2 * step] = k.M20 * a + k.M21 * b + k.M22 * c + k.Offset2;
        }
    }
}
