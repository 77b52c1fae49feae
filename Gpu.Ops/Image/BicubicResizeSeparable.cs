using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary><see cref="BicubicResize"/> for devices that run work items as loops on a host processor
/// (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): two passes through an intermediate
/// image, each output a four-tap dot product whose source offsets and weights come from a
/// <see cref="BicubicTaps"/> table (docs/opencl-engine.md, section 10.1). The passes run in the CPU
/// path's order (<see cref="BicubicResizeCpu"/>) and add in its order, so the floats are its floats.</summary>
/// <remarks><see cref="BicubicResizeKernel"/> computes floor, clamping and sixteen weights in every
/// work item; on PoCL the floor is a call and the clamped columns an index vector, and either keeps
/// the loop over work items scalar. Here a work item does no index arithmetic a vectoriser could
/// stumble on: the horizontal pass reads its taps' offsets and weights at consecutive table entries
/// and gathers the four pixels, the vertical pass reads four rows that are the same for every item of
/// a row, at consecutive addresses. Both layouts are one pair of kernels: an NCHW plane is one channel
/// of one image, an NHWC plane a whole image whose row entries are its pixels' channels.
/// Unless the image shrinks vertically, products are added in <see cref="BicubicResizeKernel"/>'s
/// order (taps left to right, then rows top to bottom), so the floats are its floats; where it
/// shrinks, the rows are summed first, with the CPU path's rounding.</remarks>
internal static class BicubicResizeSeparable
{
    /// <summary>Resizes <paramref name="input"/> into <paramref name="output"/>; the arguments are
    /// <see cref="BicubicResize.Forward"/>'s, already checked.</summary>
    public static void Forward(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout,
        int batch, int channels, int height, int width, int outHeight, int outWidth)
    {
        var inStrides = ImageStrides.Of(layout, channels, height, width);
        // Throws unless the output image's offsets fit an int, as the input's just did: the passes
        // index within one image in int, and neither order's intermediate image is larger than both.
        _ = ImageStrides.Of(layout, channels, outHeight, outWidth);
        int pixel = inStrides.Column, planes = channels / pixel, outRow = outWidth * pixel;
        var columns = new BicubicTaps((float)width / outWidth, outWidth, width, pixel, lanes: pixel);
        var rows = new BicubicTaps((float)height / outHeight, outHeight, height, 1, lanes: 1);
        using var offsets = accelerator.Allocate<int>([.. columns.Offset, .. rows.Offset]);
        using var weights = accelerator.Allocate<float>([.. columns.Weight, .. rows.Weight]);
        ArrayView<int> columnOffsets = offsets.View.SubView(0, columns.Offset.Length), rowOffsets = offsets.View.SubView(columns.Offset.Length);
        ArrayView<float> columnWeights = weights.View.SubView(0, columns.Weight.Length), rowWeights = weights.View.SubView(columns.Weight.Length);
        // The horizontal pass gathers, the vertical one reads whole rows: an image that shrinks
        // vertically sums its rows first, so that fewer rows are gathered (as the CPU path does).
        bool verticalFirst = height > outHeight;
        int inRow = width * pixel, middleRow = verticalFirst ? inRow : outRow, middleHeight = verticalFirst ? outHeight : height;
        int middleImage = planes * middleHeight * middleRow, outImage = planes * outHeight * outRow;
        using var middle = accelerator.Allocate<float>((long)batch * middleImage);
        // One image per launch, so that the horizontal pass's gather offsets are 32-bit sums that cannot wrap (see its kernel).
        for (int n = 0; n < batch; n++)
        {
            ArrayView<float> source = input.SubView((long)n * inStrides.Batch, inStrides.Batch), result = output.SubView((long)n * outImage, outImage),
                between = middle.View.SubView((long)n * middleImage, middleImage);
            var horizontal = new BicubicColumnPassKernel
            {
                Input = verticalFirst ? between : source, Output = verticalFirst ? result : between,
                Offsets = columnOffsets, Weights = columnWeights, InRow = inRow, OutRow = outRow, Height = middleHeight,
            };
            var vertical = new BicubicRowPassKernel
            {
                Input = verticalFirst ? source : between, Output = verticalFirst ? between : result,
                Rows = rowOffsets, Weights = rowWeights, Row = middleRow, Height = height, OutHeight = outHeight,
            };
            if (verticalFirst)
            {
                accelerator.Launch(inRow, outHeight, planes, vertical);
                accelerator.Launch(outRow, outHeight, planes, horizontal);
            }
            else
            {
                accelerator.Launch(outRow, height, planes, horizontal);
                accelerator.Launch(outRow, outHeight, planes, vertical);
            }
        }
        // The tables and the intermediate are freed on return, under kernels that may still be queued.
        accelerator.Synchronize();
    }
}

/// <summary>The horizontal pass of <see cref="BicubicResizeSeparable"/>: every row of every plane
/// resampled to the output width. One work item per (output row entry, row, plane).</summary>
public struct BicubicColumnPassKernel : IKernel3D
{
    /// <summary>The planes of one image, and the same planes at the output width.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Source offset within the row of tap k of entry x, at [k·<see cref="OutRow"/> + x].</summary>
    public ArrayView<int> Offsets;
    /// <summary>The taps' weights, laid out as <see cref="Offsets"/>.</summary>
    public ArrayView<float> Weights;
    /// <summary>Elements of a source row and of an output row.</summary>
    public int InRow, OutRow;
    /// <summary>Rows of a plane.</summary>
    public int Height;

    /// <summary>Entry <paramref name="x"/> of row <paramref name="y"/> of plane <paramref name="z"/>.</summary>
    /// <param name="x">Entry along the output row.</param>
    /// <param name="y">Row.</param>
    /// <param name="z">Plane.</param>
    public void Execute(int x, int y, int z)
    {
        long row = (long)z * Height + y;
        // The gathers' offsets are 32-bit sums (the host launches one image at a time, whose offsets
        // fit an int): the C compiler then gathers with 32-bit indices, 8 a instruction, where a
        // 64-bit offset takes 4. The table reads and the store keep 64-bit offsets: a 32-bit sum
        // that may wrap hides that consecutive items read consecutive entries (docs/opencl-engine.md, section 8.2).
        int source = (z * Height + y) * InRow;
        long first = x, second = first + OutRow, third = second + OutRow, fourth = third + OutRow;
        Output[row * OutRow + x] = Weights[first] * Input[source + Offsets[first]] + Weights[second] * Input[source + Offsets[second]]
            + Weights[third] * Input[source + Offsets[third]] + Weights[fourth] * Input[source + Offsets[fourth]];
    }
}

/// <summary>The vertical pass of <see cref="BicubicResizeSeparable"/>: every output row the weighted
/// sum of four input rows. One work item per (row entry, output row, plane).</summary>
public struct BicubicRowPassKernel : IKernel3D
{
    /// <summary>The planes, and the same planes at the output height.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Source row of tap k of output row y, at [k·<see cref="OutHeight"/> + y].</summary>
    public ArrayView<int> Rows;
    /// <summary>The taps' weights, laid out as <see cref="Rows"/>.</summary>
    public ArrayView<float> Weights;
    /// <summary>Elements of a row, in both.</summary>
    public int Row;
    /// <summary>Rows of an input plane and of an output plane.</summary>
    public int Height, OutHeight;

    /// <summary>Entry <paramref name="x"/> of output row <paramref name="y"/> of plane <paramref name="z"/>.</summary>
    /// <param name="x">Entry along the row.</param>
    /// <param name="y">Output row.</param>
    /// <param name="z">Plane.</param>
    public void Execute(int x, int y, int z)
    {
        long plane = (long)z * Height;
        int second = y + OutHeight, third = second + OutHeight, fourth = third + OutHeight;
        Output[((long)z * OutHeight + y) * Row + x] = Weights[y] * Input[(plane + Rows[y]) * Row + x]
            + Weights[second] * Input[(plane + Rows[second]) * Row + x]
            + Weights[third] * Input[(plane + Rows[third]) * Row + x]
            + Weights[fourth] * Input[(plane + Rows[fourth]) * Row + x];
    }
}
