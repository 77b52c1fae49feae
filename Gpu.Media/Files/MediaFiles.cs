using Gpu.Media.Images;

namespace Gpu.Media.Files;

/// <summary>What a file holds, judged by its extension.</summary>
public enum MediaKind
{
    /// <summary>Not a media file this library reads.</summary>
    Unknown,

    /// <summary>An image ImageSharp reads.</summary>
    Image,

    /// <summary>A video ffmpeg reads.</summary>
    Video,
}

/// <summary>
/// Input lists for folder runs: which files are media, the sorted recursive listing, where each
/// output goes (the same relative path under the output folder), and slices of a list for runs
/// spread over several machines or processes.
/// </summary>
public static class MediaFiles
{
    /// <summary>Extensions treated as video (lower case, with the dot).</summary>
    public static IReadOnlySet<string> VideoExtensions { get; } =
        new HashSet<string>([".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".flv", ".wmv", ".y4m"],
            StringComparer.OrdinalIgnoreCase);

    /// <summary>Classifies <paramref name="path"/> by its extension.</summary>
    public static MediaKind KindOf(string path)
    {
        string extension = Path.GetExtension(path);
        if (ImageCodec.InputExtensions.Contains(extension))
            return MediaKind.Image;
        return VideoExtensions.Contains(extension) ? MediaKind.Video : MediaKind.Unknown;
    }

    /// <summary>
    /// Every file of the given kind under <paramref name="folder"/>, recursively, as paths relative to
    /// it, sorted ordinally so every run (and every shard) sees the same order on every platform.
    /// Temporaries of interrupted runs are left out.
    /// </summary>
    public static IReadOnlyList<string> List(string folder, MediaKind kind)
    {
        if (!Directory.Exists(folder))
            throw new MediaException($"{folder}: no such folder");
        var files = Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => KindOf(f) == kind && !Path.GetFileName(f).Contains(AtomicOutputFile.TemporaryMarker, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(folder, f))
            .ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Where the output for <paramref name="relativePath"/> goes under <paramref name="outputFolder"/>:
    /// the same relative path, with its extension replaced when <paramref name="extension"/> is given
    /// (".png"), as when an input format cannot be written.
    /// </summary>
    public static string OutputPath(string outputFolder, string relativePath, string? extension = null)
    {
        if (Path.IsPathRooted(relativePath) || relativePath.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Contains(".."))
            throw new ArgumentException($"'{relativePath}' is not a path inside the input folder", nameof(relativePath));
        string path = Path.Combine(outputFolder, relativePath);
        return extension is null ? path : Path.ChangeExtension(path, extension);
    }

    /// <summary>
    /// The <paramref name="index"/>-th (from 0) of <paramref name="count"/> contiguous, nearly equal
    /// slices of <paramref name="items"/>; the slices of 0 … count − 1 cover the list exactly once,
    /// so n processes given <c>--shard i/n</c> split a folder between them.
    /// </summary>
    public static IReadOnlyList<T> Shard<T>(IReadOnlyList<T> items, int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        int start = (int)((long)items.Count * index / count);
        int end = (int)((long)items.Count * (index + 1) / count);
        return items.Skip(start).Take(end - start).ToList();
    }
}
