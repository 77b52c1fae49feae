using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace Gpu.Bench.Reporting;

/// <summary>Reads what a report says about the machine and the software it ran.</summary>
public static class RunEnvironment
{
    /// <summary>The host as this process sees it.</summary>
    public static MachineInfo Machine()
    {
        (string Name, bool Supported)[] flags =
        [
            ("sse4.2", Sse42.IsSupported), ("avx", Avx.IsSupported), ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported),
            ("avx512f", Avx512F.IsSupported), ("avx512bw", Avx512BW.IsSupported), ("avx512vl", Avx512F.VL.IsSupported),
            ("avx512vbmi", Avx512Vbmi.IsSupported), ("avxvnni", AvxVnni.IsSupported), ("neon", AdvSimd.IsSupported),
        ];
        return new(Environment.MachineName, CpuModel(), Environment.ProcessorCount, [.. flags.Where(f => f.Supported).Select(f => f.Name)],
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, RuntimeInformation.ProcessArchitecture.ToString());
    }

    /// <summary>The operating system.</summary>
    public static string Os => RuntimeInformation.OSDescription;

    /// <summary>The .NET runtime.</summary>
    public static string Dotnet => RuntimeInformation.FrameworkDescription;

    /// <summary>Versions of the libraries behind the figures: ILGPU and ScottPlot as loaded, PyTorch
    /// as the peer interpreter reports it (or why it could not).</summary>
    public static Dictionary<string, string> Libraries() => new()
    {
        ["ILGPU"] = Version(typeof(ILGPU.Context).Assembly),
        ["ScottPlot"] = Version(typeof(ScottPlot.Plot).Assembly),
        ["PyTorch"] = PyTorchPeer.Version,
    };

    /// <summary>The git commit of the repository bench was built in, with <c>-dirty</c> when it has
    /// local changes, or null where git or the checkout is missing.</summary>
    public static string? Commit()
    {
        string? root = PyTorchPeer.FindInRepository("global.json") is { } marker ? Path.GetDirectoryName(marker) : null;
        if (root is null || Git(root, "rev-parse", "HEAD") is not { Length: > 0 } head)
            return null;
        return Git(root, "status", "--porcelain", "--untracked-files=no") is { Length: > 0 } ? head + "-dirty" : head;
    }

    private static string? Git(string directory, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
            foreach (string argument in arguments)
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        string? model = File.Exists(cpuinfo)
            ? File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return model ?? RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string Version(Assembly assembly)
        => assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Options shared by every JSON this bench writes and reads: snake_case names, indented, nulls kept so every documented field is present.</summary>
    public static JsonSerializerOptions Json { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
}
