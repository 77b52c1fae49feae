namespace Gpu.Media;

/// <summary>
/// A media input or output could not be read, written or processed; the message names the file and,
/// where frames are involved, the frame, so a failed run says what to look at.
/// </summary>
public class MediaException : Exception
{
    /// <summary>Creates the exception with a message that names the file or frame at fault.</summary>
    public MediaException(string message) : base(message) { }

    /// <summary>Creates the exception around the codec's or the process's own error.</summary>
    public MediaException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// ffmpeg or ffprobe failed or is missing; the message carries the tail of the tool's own error
/// output, which is usually the only place the real cause is stated.
/// </summary>
public sealed class FfmpegException : MediaException
{
    /// <summary>Creates the exception with the tool's exit code and the tail of its error output.</summary>
    public FfmpegException(string message, int? exitCode = null, string errorOutput = "", Exception? inner = null)
        : base(Compose(message, exitCode, errorOutput), inner)
    {
        ExitCode = exitCode;
        ErrorOutput = errorOutput;
    }

    /// <summary>The tool's exit code, or null when it did not exit on its own (missing, or killed).</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines the tool wrote to its error output.</summary>
    public string ErrorOutput { get; }

    private static string Compose(string message, int? exitCode, string errorOutput)
    {
        string code = exitCode is int c ? $" (exit code {c})" : "";
        string tail = string.IsNullOrWhiteSpace(errorOutput) ? "" : $"{Environment.NewLine}{errorOutput.TrimEnd()}";
        return message + code + tail;
    }
}
