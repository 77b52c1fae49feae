using System.Diagnostics;
using System.Text.Json;

namespace Gpu.Bench;

/// <summary>Runs a PyTorch reference script from tools/reference as the peer of a benchmark, in
/// the same run on the same machine, with the settings that let PyTorch run at full speed:
/// <c>OPENBLAS_CORETYPE</c> unset (a preset to Haswell makes it 2–4× slow here) and
/// <c>GOMP_SPINCOUNT=0</c>.</summary>
public static class PyTorchPeer
{
    /// <summary>The interpreter with Debian's python3-torch.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string> version = new(() => Query("import torch; print(torch.__version__)"));

    /// <summary>What the peer interpreter prints for <paramref name="code"/>, or "unavailable: " and why
    /// (the interpreter is missing or the code fails, e.g. a module that is not installed).</summary>
    public static string Query(string code)
    {
        if (!File.Exists(Python))
            return $"unavailable: {Python} not found";
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["-c", code])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : $"unavailable: {LastLine(error.Result)}";
    }

    /// <summary>torch.__version__ as the peer interpreter reports it, or why it cannot (asked once).</summary>
    public static string Version => version.Value;

    /// <summary>Runs <paramref name="script"/> and parses the JSON object it prints last.</summary>
    /// <param name="script">File name under tools/reference.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="threads">Threads PyTorch may use.</param>
    /// <returns>The parsed result, or the reason there is none.</returns>
    public static (JsonElement? Result, string? Unavailable) Run(string script, IEnumerable<string> arguments, int threads)
    {
        string? path = FindInRepository(Path.Combine("tools", "reference", script));
        if (path is null)
            return (null, $"tools/reference/{script} not found from {AppContext.BaseDirectory}");
        if (!File.Exists(Python))
            return (null, $"{Python} not found (install python3-torch)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(path);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment["GOMP_SPINCOUNT"] = "0";
        start.Environment["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            return (null, $"{script} exited with {process.ExitCode}: {LastLine(error.Result)}");
        try
        {
            using var document = JsonDocument.Parse(LastLine(output));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, $"{script} printed no JSON result ({e.Message})");
        }
    }

    private static string LastLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    /// <summary>A file of the repository bench was built in (found upwards from its binaries), or null.</summary>
    public static string? FindInRepository(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
