namespace Gpu.Tests;

/// <summary>Oclgrind (Debian package <c>oclgrind</c>) as the only OpenCL platform of a child
/// process, so its device is <c>opencl:0</c>. The <c>oclgrind</c> wrapper's LD_PRELOAD does not
/// reach the engine, which binds the ICD loader's exports by handle; the loader is pointed at
/// Oclgrind's ICD library instead (<c>OCL_ICD_VENDORS</c>), with the checks switched on through
/// the variables the wrapper would set. Out-of-bounds accesses are always checked; data races on
/// request. Kernels are built unoptimised: Oclgrind 21.10 cannot run the <c>llvm.abs</c>,
/// <c>llvm.smin</c> and like intrinsics that clang's optimiser makes of our min, max and abs helpers
/// (clCreateKernel fails), and unoptimised code keeps every access the source makes. Uninitialised-value
/// checking stays off: 21.10's plugin stops on LLVM's <c>freeze</c> (fixed upstream after 21.10) and,
/// unoptimised, flags the results of atomics and sparse products that the op tests check as right.</summary>
public sealed class OclgrindPlatform : IDisposable
{
    /// <summary>The device the child sees.</summary>
    public const string Device = "opencl:0";

    private readonly string directory;

    private OclgrindPlatform(string icdLibrary)
    {
        directory = Directory.CreateTempSubdirectory("oclgrind").FullName;
        File.WriteAllText(Path.Combine(directory, "oclgrind.icd"), icdLibrary + "\n");
        LogPath = Path.Combine(directory, "oclgrind.log");
    }

    /// <summary>Where Oclgrind writes what it reports; it creates the file when it starts.</summary>
    public string LogPath { get; }

    /// <summary>The variables that make a child's only OpenCL platform Oclgrind, reporting to <see cref="LogPath"/>.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OCL_ICD_VENDORS"] = directory,
        ["OCLGRIND_DATA_RACES"] = "1",
        ["OCLGRIND_BUILD_OPTIONS"] = "-cl-opt-disable",
        // A known report repeats per work-item; the default cap of 1000 could hide a new one behind it.
        ["OCLGRIND_MAX_ERRORS"] = "100000",
        ["OCLGRIND_LOG"] = LogPath,
    };

    /// <summary>What Oclgrind reported; fails the test when the log is missing, since then Oclgrind did not run.</summary>
    public string Report()
    {
        Assert.That(File.Exists(LogPath), Is.True, $"Oclgrind wrote no log at {LogPath}: the child did not run on Oclgrind");
        return File.ReadAllText(LogPath).Trim();
    }

    /// <summary>Each report's headline without its address, and the kernel it names
    /// (e.g. <c>Read-write data race at global memory</c>, <c>gpuc_..._CompareExchangeKernel_guarded</c>).</summary>
    public IReadOnlyList<(string Headline, string Kernel)> Reports()
    {
        var reports = new List<(string, string)>();
        string? headline = null;
        foreach (string line in Report().Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
                headline = line.Split(" address ")[0].Trim();
            else if (headline is not null && line.Trim().StartsWith("Kernel: ", StringComparison.Ordinal))
            {
                reports.Add((headline, line.Trim()["Kernel: ".Length..]));
                headline = null;
            }
        }
        return reports;
    }

    /// <summary>The platform, or an ignored test with the reason when Oclgrind is not installed.</summary>
    public static OclgrindPlatform OrIgnore()
    {
        string? wrapper = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "oclgrind")).FirstOrDefault(File.Exists);
        if (wrapper is null)
            Assert.Ignore("oclgrind is not on PATH (Debian package oclgrind); the memory-safety checks under Oclgrind are skipped");
        string prefix = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(wrapper!)))!;
        // Debian installs the runtime in lib/oclgrind/, an upstream build in lib/ or lib64/.
        string? library = new[] { "lib/oclgrind", "lib", "lib64" }.Select(folder => Path.Combine(prefix, folder, "liboclgrind-rt-icd.so")).FirstOrDefault(File.Exists);
        if (library is null)
            Assert.Ignore($"{wrapper} has no liboclgrind-rt-icd.so under {prefix}/lib*; the memory-safety checks under Oclgrind are skipped");
        return new OclgrindPlatform(library!);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
