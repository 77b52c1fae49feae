using Gpu.Core;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Ops.Sequence;

/// <summary><see cref="SruRecurrenceKernel"/>'s schedule for devices that run work items as loops on a
/// host processor (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): each work item walks the
/// steps for 16 adjacent hidden columns of one (direction, sequence), held as separate scalars, so the
/// C compiler's SLP vectoriser packs the 16 lanes, gates included, into vector instructions. The runtime
/// cannot vectorise across work items here, because each item holds the loop over the steps. The
/// columns past the last whole segment are walked one per item by <see cref="SruRecurrenceKernel"/>'s
/// code; every column gets the same arithmetic as there, so the results are the same bits.</summary>
internal struct SruRecurrenceSegmentKernel : IKernel1D
{
    /// <summary>Hidden columns per segment.</summary>
    public const int Width = GemmRowSegment.Width;

    /// <summary>The recurrence's operands and shape.</summary>
    public SruRecurrenceKernel Recurrence;

    /// <summary>Work items for one (direction, sequence) row of <paramref name="hidden"/> columns: one per
    /// whole segment, one per column after them.</summary>
    public static int ItemsPerRow(int hidden) => hidden / Width + hidden % Width;

    /// <summary>Launches the recurrence over every direction and sequence.</summary>
    /// <param name="accelerator">The accelerator owning the kernel's views.</param>
    /// <param name="recurrence">The recurrence, as <see cref="SruRecurrenceKernel"/> would run it.</param>
    public static void Launch(Accelerator accelerator, SruRecurrenceKernel recurrence)
        => accelerator.Launch(recurrence.Directions * recurrence.Batch * ItemsPerRow(recurrence.Hidden), new SruRecurrenceSegmentKernel { Recurrence = recurrence });

    /// <summary>One work item: segment or trailing column <paramref name="item"/> of its row.</summary>
    public void Execute(int item)
    {
        int d = Recurrence.Hidden, perRow = ItemsPerRow(d), segments = d / Width;
        int row = item / perRow, part = item - row * perRow;
        if (part < segments)
            Walk(row, part * Width);
        else
            Recurrence.Execute(row * d + segments * Width + (part - segments));
    }

    private readonly void Walk(int row, int firstColumn)
    {
        var k = Recurrence;
        int d = k.Hidden, direction = row / k.Batch, b = row - direction * k.Batch;
        // 64-bit indices: a 32-bit one that may wrap before the view's offset is added hides from the
        // compiler that a segment's 16 addresses are adjacent, and it gathers them.
        long weights = (long)direction * d + firstColumn, cells = (long)row * d + firstColumn;
        long stride = (long)k.Directions * k.Blocks * d, block = (long)direction * k.Blocks * d + firstColumn;
        var vf = GemmRowSegment.Load(k.ForgetWeights, weights);
        var vr = GemmRowSegment.Load(k.ResetWeights, weights);
        GemmRowSegment c = k.HasInitialCell != 0 ? GemmRowSegment.Load(k.InitialCell, cells) : default;
        for (int s = 0; s < k.Steps; s++)
        {
            int t = direction == 0 ? s : k.Steps - 1 - s;
            long position = (long)t * k.Batch + b;
            long u = position * stride + block;
            var highway = k.Blocks == 4
                ? GemmRowSegment.Load(k.Projections, u + 3 * d)
                : GemmRowSegment.Load(k.Input, position * k.InputSize + firstColumn);
            var next = NextCells(c, vf, GemmRowSegment.Load(k.Projections, u), GemmRowSegment.Load(k.Projections, u + d));
            // One branch for the 16 lanes: a branch per lane splits the step into blocks the vectoriser does not pack across.
            var g = k.Tanh != 0 ? Tanh(next) : next;
            StoreOutputs(k.Output, position * k.Directions * d + (long)direction * d + firstColumn, g, c, vr, GemmRowSegment.Load(k.Projections, u + 2 * d), highway);
            c = next;
        }
        GemmRowSegment.Store(k.FinalCell, cells, c);
    }

    private static GemmRowSegment NextCells(GemmRowSegment c, GemmRowSegment vf, GemmRowSegment candidate, GemmRowSegment forget) => new()
    {
        V0 = SruRecurrenceKernel.NextCell(c.V0, vf.V0, candidate.V0, forget.V0),
        V1 = SruRecurrenceKernel.NextCell(c.V1, vf.V1, candidate.V1, forget.V1),
        V2 = SruRecurrenceKernel.NextCell(c.V2, vf.V2, candidate.V2, forget.V2),
        V3 = SruRecurrenceKernel.NextCell(c.V3, vf.V3, candidate.V3, forget.V3),
        V4 = SruRecurrenceKernel.NextCell(c.V4, vf.V4, candidate.V4, forget.V4),
        V5 = SruRecurrenceKernel.NextCell(c.V5, vf.V5, candidate.V5, forget.V5),
        V6 = SruRecurrenceKernel.NextCell(c.V6, vf.V6, candidate.V6, forget.V6),
        V7 = SruRecurrenceKernel.NextCell(c.V7, vf.V7, candidate.V7, forget.V7),
        V8 = SruRecurrenceKernel.NextCell(c.V8, vf.V8, candidate.V8, forget.V8),
        V9 = SruRecurrenceKernel.NextCell(c.V9, vf.V9, candidate.V9, forget.V9),
        V10 = SruRecurrenceKernel.NextCell(c.V10, vf.V10, candidate.V10, forget.V10),
        V11 = SruRecurrenceKernel.NextCell(c.V11, vf.V11, candidate.V11, forget.V11),
        V12 = SruRecurrenceKernel.NextCell(c.V12, vf.V12, candidate.V12, forget.V12),
        V13 = SruRecurrenceKernel.NextCell(c.V13, vf.V13, candidate.V13, forget.V13),
        V14 = SruRecurrenceKernel.NextCell(c.V14, vf.V14, candidate.V14, forget.V14),
        V15 = SruRecurrenceKernel.NextCell(c.V15, vf.V15, candidate.V15, forget.V15),
    };

    private static GemmRowSegment Tanh(GemmRowSegment x) => new()
    {
        V0 = SequenceMath.Tanh(x.V0),
        V1 = SequenceMath.Tanh(x.V1),
        V2 = SequenceMath.Tanh(x.V2),
        V3 = SequenceMath.Tanh(x.V3),
        V4 = SequenceMath.Tanh(x.V4),
        V5 = SequenceMath.Tanh(x.V5),
        V6 = SequenceMath.Tanh(x.V6),
        V7 = SequenceMath.Tanh(x.V7),
        V8 = SequenceMath.Tanh(x.V8),
        V9 = SequenceMath.Tanh(x.V9),
        V10 = SequenceMath.Tanh(x.V10),
        V11 = SequenceMath.Tanh(x.V11),
        V12 = SequenceMath.Tanh(x.V12),
        V13 = SequenceMath.Tanh(x.V13),
        V14 = SequenceMath.Tanh(x.V14),
        V15 = SequenceMath.Tanh(x.V15),
    };

    private static void StoreOutputs(ArrayView<float> output, long index, GemmRowSegment g, GemmRowSegment c, GemmRowSegment vr, GemmRowSegment reset, GemmRowSegment highway)
    {
        output[index + 0] = SruRecurrenceKernel.OutputOf(g.V0, c.V0, vr.V0, reset.V0, highway.V0);
        output[index + 1] = SruRecurrenceKernel.OutputOf(g.V1, c.V1, vr.V1, reset.V1, highway.V1);
        output[index + 2] = SruRecurrenceKernel.OutputOf(g.V2, c.V2, vr.V2, reset.V2, highway.V2);
        output[index + 3] = SruRecurrenceKernel.OutputOf(g.V3, c.V3, vr.V3, reset.V3, highway.V3);
        output[index + 4] = SruRecurrenceKernel.OutputOf(g.V4, c.V4, vr.V4, reset.V4, highway.V4);
        output[index + 5] = SruRecurrenceKernel.OutputOf(g.V5, c.V5, vr.V5, reset.V5, highway.V5);
        output[index + 6] = SruRecurrenceKernel.OutputOf(g.V6, c.V6, vr.V6, reset.V6, highway.V6);
        output[index + 7] = SruRecurrenceKernel.OutputOf(g.V7, c.V7, vr.V7, reset.V7, highway.V7);
        output[index + 8] = SruRecurrenceKernel.OutputOf(g.V8, c.V8, vr.V8, reset.V8, highway.V8);
        output[index + 9] = SruRecurrenceKernel.OutputOf(g.V9, c.V9, vr.V9, reset.V9, highway.V9);
        output[index + 10] = SruRecurrenceKernel.OutputOf(g.V10, c.V10, vr.V10, reset.V10, highway.V10);
        output[index + 11] = SruRecurrenceKernel.OutputOf(g.V11, c.V11, vr.V11, reset.V11, highway.V11);
        output[index + 12] = SruRecurrenceKernel.OutputOf(g.V12, c.V12, vr.V12, reset.V12, highway.V12);
        output[index + 13] = SruRecurrenceKernel.OutputOf(g.V13, c.V13, vr.V13, reset.V13, highway.V13);
        output[index + 14] = SruRecurrenceKernel.OutputOf(g.V14, c.V14, vr.V14, reset.V14, highway.V14);
        output[index + 15] = SruRecurrenceKernel.OutputOf(g.V15, c.V15, vr.V15, reset.V15, highway.V15);
    }
}
