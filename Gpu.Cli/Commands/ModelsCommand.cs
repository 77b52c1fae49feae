using System.CommandLine;
using Gpu.Models;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc models</c>: the shipped models `gpuc run` knows by name, with what each is.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the shipped models (samples/models) and what each does.");
        command.SetAction(_ => Print(AnsiConsole.Console));
        return command;
    }

    private static int Print(IAnsiConsole console)
    {
        var models = ModelCatalog.All();
        if (models.Count == 0)
        {
            console.MarkupLineInterpolated($"[yellow]no shipped models found (looked for samples/models upwards from here and from the program; set {ModelCatalog.FolderVariable})[/]");
            return 1;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("name", "architecture", "parameters", "card");
        foreach (var (name, path) in models)
        {
            string architecture, parameters;
            try
            {
                var summary = ModelSummary.Of(ModelWeights.Read(path), 100, 32);
                (architecture, parameters) = (summary.Description, summary.Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (InvalidDataException e)
            {
                (architecture, parameters) = ($"unreadable: {e.Message}", "");
            }
            string card = Path.ChangeExtension(path, ".md");
            table.AddRow(Markup.Escape(name), Markup.Escape(architecture), parameters, Markup.Escape(File.Exists(card) ? FirstHeading(card) : ""));
        }
        console.Write(table);
        return 0;
    }

    private static string FirstHeading(string card)
        => File.ReadLines(card).FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ') ?? "";
}
