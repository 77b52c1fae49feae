namespace Gpu.Cli;

/// <summary>The shipped models (<c>samples/models/NAME.safetensors</c>, each with a model card
/// beside it) by name, found from <c>GPUC_MODELS</c> or upwards from the working directory and
/// the executable; a path to a safetensors file works wherever a name does.</summary>
public static class ModelCatalog
{
    /// <summary>The environment variable naming the folder of shipped models.</summary>
    public const string FolderVariable = "GPUC_MODELS";

    /// <summary>The folder of shipped models, or null when none is found.</summary>
    public static string? Folder()
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } configured)
            return Directory.Exists(configured)
                ? configured
                : throw new ArgumentException($"{FolderVariable}={configured}: no such folder.");
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "samples", "models");
                if (Directory.Exists(candidate))
                    return candidate;
            }
        return null;
    }

    /// <summary>Every shipped model's name and file.</summary>
    public static IReadOnlyList<(string Name, string Path)> All()
        => Folder() is { } folder
            ? [.. Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).Select(p => (Path.GetFileNameWithoutExtension(p), p))]
            : [];

    /// <summary>The file of a shipped model's name, or the path itself when it is a file.</summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a shipped name.</exception>
    public static string Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath))
            return nameOrPath;
        var match = All().FirstOrDefault(m => m.Name.Equals(nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (match.Path is not null)
            return match.Path;
        string known = All() is { Count: > 0 } all ? string.Join(", ", all.Select(m => m.Name)) : $"none found (set {FolderVariable})";
        throw new FileNotFoundException($"'{nameOrPath}' is neither a weights file nor a shipped model; shipped models: {known}.", nameOrPath);
    }
}
