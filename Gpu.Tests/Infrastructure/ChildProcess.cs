using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gpu.Tests;

/// <summary>What a scenario of Gpu.Tests.Child did: its exit code and its report (first line
/// <c>threw TYPE</c> or <c>returned</c>, then the message or details).</summary>
public sealed record ChildReport(int ExitCode, string Outcome, string Details, string StandardError)
{
    /// <summary>Whether the scenario ended by throwing <typeparamref name="TException"/> (or a subtype).</summary>
    public bool Threw<TException>() where TException : Exception
        => Outcome.StartsWith("threw ", StringComparison.Ordinal) && typeof(TException).IsAssignableFrom(ExceptionType());

    private Type? ExceptionType()
    {
        string name = Outcome["threw ".Length..];
        return AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null);
    }

    public override string ToString() => $"exit code {ExitCode}; {Outcome}: {Details}{(StandardError.Length > 0 ? $"; stderr: {StandardError}" : "")}";
}

/// <summary>Runs a scenario of Gpu.Tests.Child, which the test project references so that it is built
/// and copied beside the tests, through the dotnet host that runs the tests.</summary>
public static class ChildProcess
{
    public static ChildReport Run(string scenario, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        var (exitCode, output, error) = Exec("Gpu.Tests.Child.dll", [scenario, .. arguments ?? []], environment, limit ?? TimeSpan.FromMinutes(2));
        string[] lines = output.Split('\n', 2);
        return new ChildReport(exitCode, lines[0].Trim(), lines.Length > 1 ? lines[1].Trim() : "", error.Trim());
    }

    /// <summary>Runs an assembly built beside the tests (the scenario host, gpuc) and returns its exit
    /// code and output; one that runs past <paramref name="limit"/> is killed and a <see cref="TimeoutException"/>.</summary>
    public static (int ExitCode, string Output, string Error) Exec(string assemblyFile, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, assemblyFile), .. arguments])
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{assemblyFile} did not start.");
        // Both streams drain while the limit runs, so a child that hangs is killed rather than waited for.
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{assemblyFile} {string.Join(' ', arguments)} ran past {limit}.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The dotnet executable of the running runtime: the shared framework lives in
    /// <c>DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/</c>.</summary>
    public static string DotnetHost()
    {
        string root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
