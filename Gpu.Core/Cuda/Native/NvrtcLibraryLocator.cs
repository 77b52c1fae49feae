namespace Gpu.Core.Cuda.Native;

/// <summary>Where NVRTC may live on this machine.</summary>
/// <param name="Windows">Whether to look for <c>nvrtc64_*.dll</c> rather than <c>libnvrtc.so.*</c>.</param>
/// <param name="CudaPath">The <c>CUDA_PATH</c> toolkit root, if set.</param>
/// <param name="SitePackages">Python site-packages directories that may hold pip's NVIDIA wheels.</param>
/// <param name="DriverMajor">The driver's CUDA major version, when known: NVRTC of a newer major
/// emits code the driver cannot load, so matching majors are tried first.</param>
internal sealed record NvrtcSearch(bool Windows, string? CudaPath, IReadOnlyList<string> SitePackages, int? DriverMajor);

/// <summary>Builds the ordered list of NVRTC library candidates: for each major version (13, 12,
/// 11; those the driver supports first) the bare file name for the loader's own search, then
/// <c>$CUDA_PATH/lib64</c>, <c>/usr/local/cuda/lib64</c>, and pip's <c>nvidia/cu13/lib</c> and
/// <c>nvidia/cuda_nvrtc/lib</c> under each site-packages directory; finally the unversioned name in
/// the same places.</summary>
internal static class NvrtcLibraryLocator
{
    /// <summary>The NVRTC major versions looked for, newest first.</summary>
    public static readonly int[] KnownMajors = [13, 12, 11];

    /// <summary>The conventional toolkit root on Linux.</summary>
    private const string DefaultToolkitRoot = "/usr/local/cuda";

    /// <summary>The candidates, most preferred first, without duplicates.</summary>
    public static IReadOnlyList<string> Candidates(NvrtcSearch search)
    {
        var ordered = new List<string>();
        foreach (int major in MajorsInPreferenceOrder(search.DriverMajor))
            ordered.AddRange(search.Windows ? WindowsCandidates(search, major) : LinuxCandidates(search, $"libnvrtc.so.{major}"));
        if (!search.Windows)
            ordered.AddRange(LinuxCandidates(search, "libnvrtc.so"));
        return ordered.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The majors the driver can run first (newest first), then the newer ones.</summary>
    public static IEnumerable<int> MajorsInPreferenceOrder(int? driverMajor)
        => driverMajor is int major
            ? KnownMajors.Where(m => m <= major).Concat(KnownMajors.Where(m => m > major))
            : KnownMajors;

    /// <summary>The search for this process: <c>CUDA_PATH</c>, the site-packages directories from
    /// <c>PYTHONPATH</c>, <c>VIRTUAL_ENV</c>, <c>CONDA_PREFIX</c>, the user's and the system's Python
    /// installs.</summary>
    public static NvrtcSearch ForThisProcess(int? driverMajor)
        => new(OperatingSystem.IsWindows(), Environment.GetEnvironmentVariable("CUDA_PATH"),
            SitePackagesDirectories(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)),
            driverMajor);

    /// <summary>Python library directories that exist, in search order.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="home">The user's home directory.</param>
    public static IReadOnlyList<string> SitePackagesDirectories(Func<string, string?> environment, string? home)
    {
        var directories = new List<string>();
        string? pythonPath = environment("PYTHONPATH");
        if (!string.IsNullOrEmpty(pythonPath))
            directories.AddRange(pythonPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var prefixes = new List<string>();
        foreach (string variable in (string[])["VIRTUAL_ENV", "CONDA_PREFIX"])
            if (environment(variable) is { Length: > 0 } prefix)
                prefixes.Add(prefix);
        if (!string.IsNullOrEmpty(home))
            prefixes.Add(Path.Combine(home, ".local"));
        prefixes.AddRange(["/usr/local", "/usr"]);
        foreach (string prefix in prefixes)
        {
            // Windows virtual environments keep packages in Lib/site-packages.
            directories.Add(Path.Combine(prefix, "Lib", "site-packages"));
            string lib = Path.Combine(prefix, "lib");
            if (!Directory.Exists(lib))
                continue;
            foreach (string python in Directory.EnumerateDirectories(lib, "python3*").Order(StringComparer.Ordinal).Reverse())
                directories.AddRange([Path.Combine(python, "site-packages"), Path.Combine(python, "dist-packages")]);
        }
        return directories.Where(Directory.Exists).Distinct(StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> LinuxCandidates(NvrtcSearch search, string fileName)
    {
        yield return fileName;
        if (!string.IsNullOrEmpty(search.CudaPath))
            yield return Path.Combine(search.CudaPath, "lib64", fileName);
        yield return Path.Combine(DefaultToolkitRoot, "lib64", fileName);
        foreach (string site in search.SitePackages)
        {
            yield return Path.Combine(site, "nvidia", "cu13", "lib", fileName);
            yield return Path.Combine(site, "nvidia", "cuda_nvrtc", "lib", fileName);
        }
    }

    private static IEnumerable<string> WindowsCandidates(NvrtcSearch search, int major)
    {
        // NVRTC's DLL carries major and minor (nvrtc64_120_0.dll for every 12.x); the loader's own
        // search can only be asked for an exact name, so directories are listed instead.
        yield return $"nvrtc64_{major}0_0.dll";
        var directories = new List<string>();
        if (!string.IsNullOrEmpty(search.CudaPath))
            directories.AddRange([Path.Combine(search.CudaPath, "bin"), Path.Combine(search.CudaPath, "bin", "x64")]);
        foreach (string site in search.SitePackages)
            directories.AddRange([Path.Combine(site, "nvidia", "cu13", "bin"), Path.Combine(site, "nvidia", "cuda_nvrtc", "bin")]);
        foreach (string directory in directories.Where(Directory.Exists))
            foreach (string dll in Directory.EnumerateFiles(directory, $"nvrtc64_{major}*.dll").Order(StringComparer.Ordinal))
                yield return dll;
    }
}
