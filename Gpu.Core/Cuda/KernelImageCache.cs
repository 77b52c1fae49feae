using System.Security.Cryptography;
using System.Text;

namespace Gpu.Core.Cuda;

/// <summary>Compiled kernel images (PTX or CUBIN) on disk, so a kernel NVRTC has built once is
/// loaded straight from the file in later processes. Entries are named by a hash of everything
/// that changes the output; they are written to a temporary file and renamed into place, so a
/// reader (another process included) sees a whole entry or none. The cache is an optimisation:
/// an entry that cannot be read or written is simply rebuilt.</summary>
/// <param name="directory">The directory holding the entries; created on first write.</param>
internal sealed class KernelImageCache(string directory)
{
    /// <summary>The environment variable that places the cache.</summary>
    public const string DirectoryVariable = "GPUC_CACHE_DIR";

    /// <summary>The directory holding the entries.</summary>
    public string Directory { get; } = directory;

    /// <summary>The cache directory for CUDA images: <c>$GPUC_CACHE_DIR/cuda</c>, else the user's
    /// cache directory (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>; the local application data
    /// folder on Windows) <c>/gpuc/cuda</c>.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="home">The user's home directory.</param>
    /// <param name="windowsLocalData">The local application data folder on Windows, else null.</param>
    public static string DefaultDirectory(Func<string, string?> environment, string home, string? windowsLocalData)
    {
        if (environment(DirectoryVariable) is { Length: > 0 } configured)
            return Path.Combine(configured, "cuda");
        string userCache = windowsLocalData
            ?? (environment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".cache"));
        return Path.Combine(userCache, "gpuc", "cuda");
    }

    /// <summary>The cache of this process, placed by <see cref="DefaultDirectory"/>.</summary>
    public static KernelImageCache ForThisProcess()
    {
        // A service account may have no home; the temporary directory still lets one process reuse its builds.
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } profile ? profile : Path.GetTempPath();
        return new(DefaultDirectory(Environment.GetEnvironmentVariable, home,
            OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData) : null));
    }

    /// <summary>The entry name for one compilation: a SHA-256 over the compiler version, the target
    /// architecture, the options and the source, each length-prefixed so no two inputs collide by
    /// concatenation.</summary>
    public static string Key(string source, string architecture, IReadOnlyList<string> options, string compilerVersion)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Append(string part)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        Append(compilerVersion);
        Append(architecture);
        hash.AppendData(BitConverter.GetBytes(options.Count));
        foreach (string option in options)
            Append(option);
        Append(source);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The stored image, or null when there is none or it cannot be read.</summary>
    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="extension">The image kind: <c>ptx</c> or <c>cubin</c>.</param>
    public byte[]? TryRead(string key, string extension)
    {
        try
        {
            return File.ReadAllBytes(PathOf(key, extension));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores an image atomically; returns false when the directory is not writable.</summary>
    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="extension">The image kind: <c>ptx</c> or <c>cubin</c>.</param>
    /// <param name="image">The bytes.</param>
    public bool TryWrite(string key, string extension, ReadOnlySpan<byte> image)
    {
        string temporary = Path.Combine(Directory, $"{key}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                stream.Write(image);
            File.Move(temporary, PathOf(key, extension), overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return false;
        }
    }

    private string PathOf(string key, string extension) => Path.Combine(Directory, $"{key}.{extension}");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leaving a stray temporary file behind is harmless: no entry has its name.
        }
    }
}
