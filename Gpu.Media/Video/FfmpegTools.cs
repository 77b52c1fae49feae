namespace Gpu.Media.Video;

/// <summary>
/// Where the ffmpeg and ffprobe executables are. Video goes through them as subprocesses, so any
/// codec the installed ffmpeg has is available; on Debian they come from the package <c>ffmpeg</c>.
/// </summary>
/// <param name="FfmpegPath">The ffmpeg executable.</param>
/// <param name="FfprobePath">The ffprobe executable.</param>
public sealed record FfmpegTools(string FfmpegPath, string FfprobePath)
{
    /// <summary>What to install when the tools are missing.</summary>
    public const string InstallHint = "install the Debian package ffmpeg (apt-get install ffmpeg), or put ffmpeg and ffprobe on PATH";

    /// <summary>
    /// Finds both tools on <paramref name="searchPath"/> (PATH when null); throws
    /// <see cref="FfmpegException"/> saying what to install when either is missing.
    /// </summary>
    public static FfmpegTools Find(string? searchPath = null)
    {
        string? ffmpeg = Locate("ffmpeg", searchPath), ffprobe = Locate("ffprobe", searchPath);
        if (ffmpeg is null || ffprobe is null)
            throw new FfmpegException($"video needs ffmpeg and ffprobe, and {(ffmpeg is null ? "ffmpeg" : "ffprobe")} was not found on PATH; {InstallHint}");
        return new FfmpegTools(ffmpeg, ffprobe);
    }

    /// <summary>Whether both tools are on PATH, for callers (and tests) that can do without video.</summary>
    public static bool IsAvailable => Locate("ffmpeg", null) is not null && Locate("ffprobe", null) is not null;

    private static string? Locate(string name, string? searchPath)
    {
        string executable = OperatingSystem.IsWindows() ? name + ".exe" : name;
        foreach (string folder in (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (folder.Length == 0)
                continue;
            string candidate = Path.Combine(folder, executable);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
