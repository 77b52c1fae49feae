using System.ComponentModel;
using System.Diagnostics;

namespace Gpu.Media.Video;

/// <summary>
/// One ffmpeg or ffprobe run with its pipes. Standard error is drained on its own as it comes (a
/// full stderr pipe would otherwise stall the tool while we wait on stdout) and only its last lines
/// are kept, for error messages. Disposing kills the process if it is still running.
/// </summary>
internal sealed class ToolProcess : IDisposable
{
    private const int TailLines = 20;
    private readonly Process process;
    private readonly Queue<string> tail = new();

    private ToolProcess(Process process)
    {
        this.process = process;
    }

    /// <summary>
    /// Starts the tool. With <paramref name="readOutput"/> false its standard output is drained and
    /// dropped (an encoder writes to a file, and an unread pipe must never fill up and stall it).
    /// </summary>
    public static ToolProcess Start(string executable, IEnumerable<string> arguments, bool redirectInput, bool readOutput = true)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        var tool = new ToolProcess(process);
        process.ErrorDataReceived += (_, e) => tool.AddErrorLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or FileNotFoundException)
        {
            process.Dispose();
            throw new FfmpegException($"{executable} could not be started ({e.Message}); {FfmpegTools.InstallHint}", inner: e);
        }
        process.BeginErrorReadLine();
        if (!readOutput)
            process.BeginOutputReadLine();
        return tool;
    }

    public Stream Input => process.StandardInput.BaseStream;

    public Stream Output => process.StandardOutput.BaseStream;

    /// <summary>The last lines of standard error; complete once the process has been waited for.</summary>
    public string ErrorTail
    {
        get
        {
            lock (tail)
                return string.Join(Environment.NewLine, tail);
        }
    }

    /// <summary>Waits for the exit and for standard error to be drained, and returns the exit code.</summary>
    public int WaitForExit(CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(Kill))
            process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        return process.ExitCode;
    }

    /// <summary>Waits at most <paramref name="timeout"/>; null when the process is still running.</summary>
    public int? TryWaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
            return null;
        // Only the overload without a timeout waits for the asynchronous stderr reader to finish.
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Kill()
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    private void AddErrorLine(string? line)
    {
        if (line is null)
            return;
        lock (tail)
        {
            tail.Enqueue(line);
            if (tail.Count > TailLines)
                tail.Dequeue();
        }
    }

    public void Dispose()
    {
        Kill();
        process.WaitForExit(TimeSpan.FromSeconds(5));
        process.Dispose();
    }
}
