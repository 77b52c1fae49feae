using System.Runtime.CompilerServices;
using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>Unfolds one C×H×W image into its PatchLength × OutputPositions im2col matrix (the layout
/// of <see cref="Im2ColKernel"/>). On the CPU accelerator each kernel tap fills its row of the matrix
/// output row by output row, copying the run of input the tap sees in one block and zeroing the
/// padding around it, rather than indexing element by element as the kernel must.</summary>
public static class Im2Col
{
    /// <summary>Writes the im2col matrix of <paramref name="image"/> into <paramref name="columns"/>.</summary>
    /// <param name="accelerator">The accelerator owning both views.</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="image">C·H·W elements.</param>
    /// <param name="columns">PatchLength · OutputPositions elements, overwritten.</param>
    /// <exception cref="ArgumentException">The geometry is invalid, a length does not match, or the views overlap.</exception>
    public static void Unfold(Accelerator accelerator, ConvGeometry geometry, ArrayView<float> image, ArrayView<float> columns)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        geometry.Validate();
        long imageLength = (long)geometry.Channels * geometry.Height * geometry.Width;
        long columnsLength = (long)geometry.PatchLength * geometry.OutputPositions;
        if (image.Length != imageLength || columns.Length != columnsLength)
            throw new ArgumentException($"{geometry} unfolds {imageLength} image elements into {columnsLength}; got {image.Length} and {columns.Length}.");
        accelerator.CheckView(image);
        accelerator.CheckView(columns);
        OperandChecks.Disjoint(image, columns);
        if (accelerator.IsHostAddressable())
            UnfoldOnHost(geometry, image, columns);
        else
            accelerator.Launch(geometry.OutputPositions, geometry.PatchLength, Im2ColKernel.For(geometry, image, columns));
    }

    private static unsafe void UnfoldOnHost(ConvGeometry g, ArrayView<float> image, ArrayView<float> columns)
        => CpuRows.ForEachRowRange(g.PatchLength, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, end) =>
        {
            float* source = CpuRows.Pointer(image), destination = CpuRows.Pointer(columns);
            int outputWidth = g.OutputWidth, positions = g.OutputPositions;
            for (int tap = first; tap < end; tap++)
            {
                int kx = tap % g.KernelWidth, ky = tap / g.KernelWidth % g.KernelHeight, channel = tap / (g.KernelWidth * g.KernelHeight);
                int xOffset = kx * g.Dilation - g.Padding;
                // Output columns whose tap lands inside the row: ix = ox·s + xOffset in [0, W).
                int firstInside = Math.Min(outputWidth, xOffset >= 0 ? 0 : (-xOffset + g.Stride - 1) / g.Stride);
                int endInside = Math.Max(firstInside, Math.Min(outputWidth, g.Width - xOffset <= 0 ? 0 : (g.Width - xOffset + g.Stride - 1) / g.Stride));
                for (int oy = 0; oy < g.OutputHeight; oy++)
                {
                    var row = new Span<float>(destination + (long)tap * positions + (long)oy * outputWidth, outputWidth);
                    int iy = oy * g.Stride - g.Padding + ky * g.Dilation;
                    if (iy < 0 || iy >= g.Height)
                    {
                        row.Clear();
                        continue;
                    }
                    float* input = source + ((long)channel * g.Height + iy) * g.Width + xOffset;
                    row[..firstInside].Clear();
                    if (g.Stride == 1)
                        new ReadOnlySpan<float>(input + firstInside, endInside - firstInside).CopyTo(row[firstInside..endInside]);
                    else
                        for (int ox = firstInside; ox < endInside; ox++)
                            row[ox] = input[(long)ox * g.Stride];
                    row[endInside..].Clear();
                }
            }
        });
}
