namespace Gpu.Media.Files;

/// <summary>
/// An output written under a temporary name in the target folder and renamed to its final name only
/// when <see cref="Commit"/> is called, so a reader (or a resumed run) never sees a half-written
/// file. Disposing without committing deletes the temporary; the temporary sits in the same folder
/// so the rename is atomic on one file system.
/// </summary>
public sealed class AtomicOutputFile : IDisposable
{
    private readonly bool overwrite;
    private bool committed;

    /// <summary>
    /// Prepares to write <paramref name="path"/>. Throws <see cref="MediaException"/> when it exists
    /// and <paramref name="policy"/> is <see cref="ExistingOutputPolicy.Refuse"/>; callers check
    /// <see cref="ExistingOutputPolicy.Skip"/> themselves (through <see cref="ShouldWrite"/>) before
    /// doing the work.
    /// </summary>
    public AtomicOutputFile(string path, ExistingOutputPolicy policy)
    {
        FinalPath = Path.GetFullPath(path);
        if (!ShouldWrite(FinalPath, policy))
            throw new MediaException($"{FinalPath} exists and the run was asked to skip it");
        overwrite = policy == ExistingOutputPolicy.Overwrite;
        string directory = Path.GetDirectoryName(FinalPath)!;
        Directory.CreateDirectory(directory);
        // The extension stays last: ffmpeg picks its container from it.
        string name = Path.GetFileNameWithoutExtension(FinalPath);
        TemporaryPath = Path.Combine(directory,
            $".{name}.{Guid.NewGuid().ToString("N")[..8]}{TemporaryMarker}{Path.GetExtension(FinalPath)}");
    }

    /// <summary>Marks every temporary name, so leftovers of a killed run can be recognised.</summary>
    public const string TemporaryMarker = ".gpuc-partial";

    /// <summary>Where the output ends up.</summary>
    public string FinalPath { get; }

    /// <summary>Where the output is written until it is committed.</summary>
    public string TemporaryPath { get; }

    /// <summary>
    /// Whether the output at <paramref name="path"/> should be produced under <paramref name="policy"/>:
    /// false when it exists and the policy skips; throws when it exists and the policy refuses.
    /// </summary>
    public static bool ShouldWrite(string path, ExistingOutputPolicy policy)
    {
        if (!File.Exists(path))
            return true;
        return policy switch
        {
            ExistingOutputPolicy.Overwrite => true,
            ExistingOutputPolicy.Skip => false,
            _ => throw new MediaException($"{path} exists; overwrite it (gpuc run --overwrite) or skip it (--resume)"),
        };
    }

    /// <summary>Opens the temporary for writing, replacing anything an earlier attempt left there.</summary>
    public FileStream OpenWrite() => new(TemporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);

    /// <summary>
    /// Renames the finished temporary to the final name. Without overwrite, a file that appeared under
    /// the final name meanwhile is an error rather than silently replaced.
    /// </summary>
    public void Commit()
    {
        try
        {
            File.Move(TemporaryPath, FinalPath, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(FinalPath))
        {
            throw new MediaException($"{FinalPath} appeared while it was being written; overwrite it (gpuc run --overwrite)", e);
        }
        committed = true;
    }

    /// <summary>Deletes the temporary unless the output was committed.</summary>
    public void Dispose()
    {
        if (committed)
            return;
        try
        {
            File.Delete(TemporaryPath);
        }
        catch (IOException)
        {
            // A temporary still open elsewhere (a dying ffmpeg) cannot always be removed at once on
            // every platform; its marked name keeps it from being taken for an output.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
