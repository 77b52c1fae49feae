using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>CTC greedy (best-path) decoding: per time step the most likely class, then repeats
/// collapsed and blanks dropped. Scores are time-major, steps × batch × classes (logits,
/// probabilities or log-probabilities: the argmax is the same).</summary>
public static class CtcGreedy
{
    /// <summary>The blank class.</summary>
    public const int Blank = 0;

    /// <summary>Label value filling the unused tail of each decoded row.</summary>
    public const int Padding = -1;

    /// <summary>Decodes on the device.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="scores">steps × batch × classes scores.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="classes">Classes including the blank (index 0).</param>
    /// <param name="bestPath">Scratch of steps × batch: the argmax per step.</param>
    /// <param name="labels">batch × steps: each row the decoded labels, then <see cref="Padding"/>.</param>
    /// <param name="lengths">batch: the number of labels of each row.</param>
    /// <exception cref="ArgumentException">A dimension is not positive or a view has the wrong length.</exception>
    public static void Decode(Accelerator accelerator, ArrayView<float> scores, int steps, int batch, int classes,
        ArrayView<int> bestPath, ArrayView<int> labels, ArrayView<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Validate(scores.Length, steps, batch, classes);
        long path = (long)steps * batch;
        if (bestPath.Length != path || labels.Length != path || lengths.Length != batch)
            throw new ArgumentException($"CTC decoding of {steps} steps × {batch} sequences needs best path and labels of {path} and lengths of {batch}, " +
                $"got {bestPath.Length}, {labels.Length} and {lengths.Length}.");
        OperandChecks.Disjoint(scores, bestPath);
        OperandChecks.Disjoint(scores, labels);
        OperandChecks.Disjoint(scores, lengths);
        OperandChecks.Disjoint(bestPath, labels);
        OperandChecks.Disjoint(bestPath, lengths);
        OperandChecks.Disjoint(labels, lengths);
        accelerator.Launch(steps * batch, new CtcArgmaxKernel { Scores = scores, BestPath = bestPath, Classes = classes });
        accelerator.Launch(batch, new CtcCollapseKernel { BestPath = bestPath, Labels = labels, Lengths = lengths, Steps = steps, Batch = batch });
    }

    /// <summary>Decodes on the device and returns each sequence's labels.</summary>
    /// <param name="accelerator">The accelerator owning <paramref name="scores"/>.</param>
    /// <param name="scores">steps × batch × classes scores.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="classes">Classes including the blank.</param>
    /// <returns>One label array per sequence.</returns>
    public static int[][] Decode(Accelerator accelerator, ArrayView<float> scores, int steps, int batch, int classes)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Validate(scores.Length, steps, batch, classes);
        using var bestPath = accelerator.Allocate<int>((long)steps * batch);
        using var labels = accelerator.Allocate<int>((long)steps * batch);
        using var lengths = accelerator.Allocate<int>(batch);
        Decode(accelerator, scores, steps, batch, classes, bestPath.View, labels.View, lengths.View);
        var rows = labels.ToArray();
        var counts = lengths.ToArray();
        return [.. Enumerable.Range(0, batch).Select(b => rows.AsSpan(b * steps, counts[b]).ToArray())];
    }

    /// <summary>The plain reference.</summary>
    /// <param name="scores">steps × batch × classes scores.</param>
    /// <param name="steps">Time steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="classes">Classes including the blank.</param>
    /// <returns>One label array per sequence.</returns>
    public static int[][] Reference(ReadOnlySpan<float> scores, int steps, int batch, int classes)
    {
        Validate(scores.Length, steps, batch, classes);
        var result = new int[batch][];
        for (int b = 0; b < batch; b++)
        {
            var decoded = new List<int>();
            int previous = Padding;
            for (int t = 0; t < steps; t++)
            {
                var row = scores.Slice((t * batch + b) * classes, classes);
                int best = 0;
                for (int k = 1; k < classes; k++)
                    if (row[k] > row[best])
                        best = k;
                if (best != previous && best != Blank)
                    decoded.Add(best);
                previous = best;
            }
            result[b] = [.. decoded];
        }
        return result;
    }

    private static void Validate(long scoresLength, int steps, int batch, int classes)
    {
        if (steps <= 0 || batch <= 0 || classes <= 0)
            throw new ArgumentException($"CTC decoding needs positive dimensions, got {steps} steps, {batch} sequences, {classes} classes.");
        long expected = (long)steps * batch * classes;
        if (scoresLength != expected)
            throw new ArgumentException($"Scores of {steps} × {batch} × {classes} need {expected} elements, got {scoresLength}.");
    }
}

/// <summary>One thread per (step, sequence): the first index of the largest score.</summary>
internal struct CtcArgmaxKernel : IKernel1D
{
    public ArrayView<float> Scores;
    public ArrayView<int> BestPath;
    public int Classes;

    public void Execute(int index)
    {
        int start = index * Classes;
        int best = 0;
        float bestScore = Scores[start];
        for (int k = 1; k < Classes; k++)
        {
            float score = Scores[start + k];
            if (score > bestScore)
            {
                bestScore = score;
                best = k;
            }
        }
        BestPath[index] = best;
    }
}

/// <summary>One thread per sequence: walks its best path, collapsing repeats and dropping blanks.</summary>
internal struct CtcCollapseKernel : IKernel1D
{
    public ArrayView<int> BestPath, Labels, Lengths;
    public int Steps, Batch;

    public void Execute(int sequence)
    {
        int count = 0;
        int previous = CtcGreedy.Padding;
        for (int t = 0; t < Steps; t++)
        {
            int label = BestPath[t * Batch + sequence];
            if (label != previous && label != CtcGreedy.Blank)
            {
                Labels[sequence * Steps + count] = label;
                count++;
            }
            previous = label;
        }
        Lengths[sequence] = count;
        for (int rest = count; rest < Steps; rest++)
            Labels[sequence * Steps + rest] = CtcGreedy.Padding;
    }
}
