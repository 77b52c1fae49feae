using System.Text.Json;
using Gpu.Core;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Models;
using Gpu.Models.Compression;

namespace Gpu.Tests.Models.Compression;

/// <summary>CRNN's quality measure for compression: edit distance against its definition, and the
/// shipped model's score on the shipped lines against the score of PyTorch's readings of them.</summary>
public sealed class TextLineAccuracyTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "Shipped");

    // The definition, recursive over prefixes (memoised) and obviously right: the cheapest of deleting, inserting or substituting at the ends.
    private static int Reference(string a, string b)
    {
        var memo = new Dictionary<(int, int), int>();
        int Distance(int i, int j)
        {
            if (i == 0 || j == 0)
                return i + j;
            if (!memo.TryGetValue((i, j), out int d))
                memo[(i, j)] = d = Math.Min(Math.Min(Distance(i - 1, j) + 1, Distance(i, j - 1) + 1), Distance(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d;
        }
        return Distance(a.Length, b.Length);
    }

    [Test]
    public void EditDistanceMatchesItsDefinition()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            string a = new([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => "abc"[random.Next(3)])]);
            string b = new([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => "abc"[random.Next(3)])]);
            Assert.That(TextLineAccuracy.EditDistance(a, b), Is.EqualTo(Reference(a, b)), $"'{a}' → '{b}'");
        }
        Assert.That(TextLineAccuracy.EditDistance("kitten", "sitting"), Is.EqualTo(3));
    }

    [Test]
    public void TheShippedModelScoresAsPyTorchsReadingsDo()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Shipped, "text", "lines.json")));
        var entries = document.RootElement.GetProperty("lines").EnumerateArray()
            .Select(e => (File: e.GetProperty("file").GetString()!, Truth: e.GetProperty("text").GetString()!, PyTorch: e.GetProperty("crnn_reading").GetString()!)).ToList();
        var lines = entries.Select(e =>
        {
            using var image = ImageCodec.Read(Path.Combine(Shipped, "text", e.File), new FrameBatchPool());
            return new TextLine(image.Frame(0).ToArray(), image.Format.Size.Width, image.Format.Size.Height, e.Truth);
        }).ToList();
        using var accelerator = Devices.Open("cpu");
        var score = new TextLineAccuracy(accelerator, lines).Score(ModelWeights.Read(Path.Combine(Shipped, "crnn.safetensors")));

        // The expectation comes from the readings tools/training/make_samples.py recorded with PyTorch.
        double cer = entries.Sum(e => Reference(e.PyTorch, e.Truth)) / (double)entries.Sum(e => e.Truth.Length);
        double words = entries.Count(e => e.PyTorch == e.Truth) / (double)entries.Count;
        Assert.That(score.CharacterErrorRate, Is.EqualTo(cer).Within(1e-12));
        Assert.That(score.WordAccuracy, Is.EqualTo(words).Within(1e-12));
        Assert.That(words, Is.InRange(0.1, 0.9), "some lines are read right and some wrong, so the comparison can fail");
    }
}
