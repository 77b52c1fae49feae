namespace Gpu.Media.Files;

/// <summary>What to do when an output file already exists.</summary>
public enum ExistingOutputPolicy
{
    /// <summary>Refuse: the run fails before doing any work for that output (the default).</summary>
    Refuse,

    /// <summary>Replace it (the CLI's --overwrite); the old file stays until the new one is complete.</summary>
    Overwrite,

    /// <summary>
    /// Skip that input (the CLI's --resume). Outputs are only ever created by renaming a finished
    /// temporary, so a file under the final name is complete.
    /// </summary>
    Skip,
}
