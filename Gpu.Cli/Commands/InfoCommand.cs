using System.CommandLine;
using System.Globalization;
using Gpu.Models;
using Gpu.Models.Compression;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc info</c>: the architecture a weights file holds, each layer's parameters and
/// multiply-adds for an input size, and the totals.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A shipped model's name (see `gpuc models`), a safetensors file or a compressed .gpuc file." };
        var size = new Option<string>("--size") { Description = "Input size WIDTHxHEIGHT the multiply-adds are counted for (CRNN: the line width).", DefaultValueFactory = _ => "1920x1080" };
        var scale = new Option<int>("--scale") { Description = "VDSR's upscaling factor.", DefaultValueFactory = _ => 2 };
        var command = new Command("info", "Describe a model file: architecture, per-layer parameters and multiply-adds, totals.") { model, size, scale };
        command.SetAction(result => Print(AnsiConsole.Console, result.GetValue(model)!, result.GetValue(size)!, result.GetValue(scale)));
        return command;
    }

    private static int Print(IAnsiConsole console, string model, string size, int scale)
    {
        if (!TryParseSize(size, out int width, out int height))
        {
            console.MarkupLineInterpolated($"[red]--size '{size}': give WIDTHxHEIGHT, both positive (e.g. 1920x1080).[/]");
            return 2;
        }
        if (scale is < 1 or > 8)
        {
            console.MarkupLineInterpolated($"[red]--scale {scale}: VDSR scales by 1 to 8.[/]");
            return 2;
        }
        ModelSummary summary;
        string path;
        try
        {
            path = ModelCatalog.Resolve(model);
            summary = ModelSummary.Of(ModelWeights.Read(path), width, height, scale);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or UnauthorizedAccessException or ArgumentException or IOException)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }
        console.MarkupLineInterpolated($"[bold]{summary.Description}[/]");
        console.MarkupLineInterpolated($"input: {summary.Input}");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("layer", "computes", "parameters", "multiply-adds");
        foreach (var layer in summary.Layers)
            table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.Description), Count(layer.Parameters), Count(layer.Macs));
        table.AddRow("[bold]total[/]", "", $"[bold]{Count(summary.Parameters)}[/]", $"[bold]{Count(summary.Macs)}[/]");
        console.Write(table);
        if (GpucFile.IsGpuc(path))
        {
            console.MarkupLine("stored compressed (.gpuc):");
            CompressionTable.Print(console, CompressionTable.Rows(GpucFile.Read(path)), new FileInfo(path).Length);
        }
        return 0;
    }

    internal static bool TryParseSize(string text, out int width, out int height)
    {
        width = height = 0;
        var parts = text.Split('x', 'X', '×');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out height) && width > 0 && height > 0;
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
