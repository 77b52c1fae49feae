using Gpu.Core;
using Gpu.Models.Crnn;

namespace Gpu.Models.Compression;

/// <summary>A calibration text line: its image as RGB planes in [0, 1] (3 × height × width) and the text it shows.</summary>
/// <param name="Rgb">The image's red, green and blue planes, each row-major.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Truth">The text as the model's alphabet spells it (lowercase for the shipped model).</param>
public sealed record TextLine(float[] Rgb, int Width, int Height, string Truth);

/// <summary>How well a CRNN reads: character error rate (total edit distance over total truth characters) and word accuracy (exact readings).</summary>
/// <param name="CharacterErrorRate">Edit distance of the readings to the truths over the truths' characters, 0 to 1 (or more, with many insertions).</param>
/// <param name="WordAccuracy">The share of lines read exactly.</param>
public sealed record TextReadingScore(double CharacterErrorRate, double WordAccuracy);

/// <summary>
/// The quality of a CRNN's weights measured on calibration text lines with known truths: each
/// candidate is built and run on one device, its greedy CTC readings scored against the truths.
/// This is the CRNN counterpart of <see cref="ImageModelFidelity"/> for sensitivity pruning.
/// </summary>
public sealed class TextLineAccuracy
{
    private readonly Accelerator accelerator;
    private readonly IReadOnlyList<TextLine> lines;

    /// <summary>Scores on <paramref name="lines"/>, run on <paramref name="accelerator"/>.</summary>
    public TextLineAccuracy(Accelerator accelerator, IReadOnlyList<TextLine> lines)
    {
        if (lines.Count == 0)
            throw new ArgumentException("at least one calibration text line is needed", nameof(lines));
        this.accelerator = accelerator;
        this.lines = lines;
    }

    /// <summary>The readings of <paramref name="weights"/> (a CRNN) scored against the truths, its
    /// compressed layers (from a <c>.gpuc</c> model) run as <paramref name="routing"/> says.</summary>
    /// <exception cref="InvalidDataException">The weights are no CRNN's.</exception>
    public TextReadingScore Score(ModelWeights weights, LayerRouting routing = LayerRouting.Dense)
    {
        var crnn = CrnnWeights.Load(weights);
        using var network = new CrnnNetwork(accelerator, crnn, routing);
        var readings = new string[lines.Count];
        var prepared = lines.Select((line, i) => (Index: i, Width: crnn.Input.LineWidth(line.Width, line.Height), Values: crnn.Input.FromRgb(line.Rgb, line.Width, line.Height)));
        // Lines of one width run as one batch.
        foreach (var sameWidth in prepared.GroupBy(p => p.Width))
        {
            using var images = accelerator.Allocate<float>([.. sameWidth.SelectMany(p => p.Values)]);
            string[] texts = network.Recognize(images.View, sameWidth.Count(), sameWidth.Key);
            foreach (var (p, text) in sameWidth.Zip(texts))
                readings[p.Index] = text;
        }
        long errors = 0, characters = 0, exact = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            errors += EditDistance(readings[i], lines[i].Truth);
            characters += lines[i].Truth.Length;
            exact += readings[i] == lines[i].Truth ? 1 : 0;
        }
        return new TextReadingScore(characters == 0 ? 0 : errors / (double)characters, exact / (double)lines.Count);
    }

    /// <summary>The Levenshtein distance: the fewest single-character insertions, deletions and substitutions turning <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
