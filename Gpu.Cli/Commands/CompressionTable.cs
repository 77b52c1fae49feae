using System.Globalization;
using Gpu.Models.Compression;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary>The per-tensor table of a compressed model that <c>gpuc compress</c> and <c>gpuc info</c> print.</summary>
internal static class CompressionTable
{
    public sealed record Row(string Tensor, string Shape, string Codec, double Sparsity, int ValueBits, int GapBits, long Bytes, long DenseBytes);

    /// <summary>One row per tensor; a tensor that structured pruning made smaller shows its shape before
    /// (<c>18×24×3×3 of 24×24×3×3</c>) and is counted at that size in the dense bytes, so the ratio is against the original model.</summary>
    public static IReadOnlyList<Row> Rows(CompressedModel model)
    {
        var original = ChannelRemoval.OriginalShapes(model);
        return
        [
            .. model.Tensors.Select(t =>
            {
                float[] values = t.Decode();
                double sparsity = values.Length == 0 ? 0 : values.Count(v => v == 0) / (double)values.Length;
                long[] before = original[t.Name];
                string shape = string.Join("×", t.Shape) + (before.SequenceEqual(t.Shape) ? "" : $" of {string.Join("×", before)}");
                return new Row(t.Name, shape, t.Codec.ToString(), sparsity, t.ValueBits, t.GapBits, t.Payload.Length, 4 * before.Aggregate(1L, (p, d) => p * d));
            }),
        ];
    }

    public static void Print(IAnsiConsole console, IReadOnlyList<Row> rows, long fileBytes)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("tensor", "shape", "codec", "zeros", "bits", "bytes", "× smaller");
        foreach (var row in rows.Where(r => r.Codec != nameof(TensorCodec.Raw)))
            table.AddRow(Markup.Escape(row.Tensor), row.Shape, row.Codec, row.Sparsity.ToString("P1", CultureInfo.InvariantCulture),
                row.GapBits > 0 ? $"{row.ValueBits} (gaps {row.GapBits})" : row.ValueBits.ToString(CultureInfo.InvariantCulture),
                Count(row.Bytes), (row.DenseBytes / (double)Math.Max(1, row.Bytes)).ToString("F1", CultureInfo.InvariantCulture));
        var raw = rows.Where(r => r.Codec == nameof(TensorCodec.Raw)).ToList();
        if (raw.Count > 0)
            table.AddRow($"{raw.Count} small tensors", "", "Raw", "", "32", Count(raw.Sum(r => r.Bytes)), "1.0");
        long dense = rows.Sum(r => r.DenseBytes);
        table.AddRow("[bold]file[/]", "", "", "", "", $"[bold]{Count(fileBytes)}[/]", $"[bold]{(dense / (double)fileBytes).ToString("F1", CultureInfo.InvariantCulture)}[/]");
        console.Write(table);
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
