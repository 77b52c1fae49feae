using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary><see cref="BicubicResize"/> for devices that run work items as loops on a host processor
/// (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): two passes through an intermediate
/// image, each output a four-tap dot product whose source offsets and weights come from a
/// <see cref="BicubicTaps"/> table (docs/opencl-engine.md, section 10.1). The passes run in the CPU
/// path's order (<see cref="BicubicResizeCpu"/>) and add in its order, so the floats are its floats.
/// The tables are kept per accelerator and shape (<see cref="BicubicPlans"/>) and the intermediate is
/// rented from the accelerator's scratch pool, so that a call of a known shape only queues its launches.</summary>
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
        int outImage = ImageStrides.Of(layout, channels, outHeight, outWidth).Batch;
        int pixel = inStrides.Column, planes = channels / pixel, inRow = width * pixel, outRow = outWidth * pixel;
        var plan = BicubicPlans.Of(accelerator).For(new BicubicPlanShape(layout, channels, height, width, outHeight, outWidth));
        // The horizontal pass gathers, the vertical one reads whole rows: an image that shrinks
        // vertically sums its rows first, so that fewer rows are gathered (as the CPU path does).
        bool verticalFirst = height > outHeight;
        int middleRow = verticalFirst ? inRow : outRow, middleHeight = verticalFirst ? outHeight : height;
        // Nothing waits for the launches: the tables are kept, and the intermediate goes back to the
        // accelerator's scratch pool, whose next renter's launches the in-order queue runs after these.
        using var middle = accelerator.RentScratch<float>((long)planes * middleHeight * middleRow);
        // One image per launch, so that the horizontal pass's gather offsets are 32-bit sums that cannot
        // wrap (see its kernel); the images take turns in the intermediate, in the queue's order.
        for (int n = 0; n < batch; n++)
        {
            ArrayView<float> source = input.SubView((long)n * inStrides.Batch, inStrides.Batch),
                result = output.SubView((long)n * outImage, outImage);
            var horizontal = new BicubicColumnPassKernel
            {
                Input = verticalFirst ? middle.View : source, Output = verticalFirst ? result : middle.View,
                Offsets = plan.ColumnOffsets, Weights = plan.ColumnWeights, InRow = inRow, OutRow = outRow, Height = middleHeight,
            };
            var vertical = new BicubicRowPassKernel
            {
                Input = verticalFirst ? source : middle.View, Output = verticalFirst ? middle.View : result,
                Rows = plan.RowOffsets, Weights = plan.RowWeights, Row = middleRow, Height = height, OutHeight = outHeight,
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
