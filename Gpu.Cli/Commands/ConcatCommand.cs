using System.CommandLine;
using Gpu.Media;
using Gpu.Media.Video;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc concat</c>: joins the parts the shards of a video wrote (<c>gpuc run --shard i/n</c>)
/// into one video without re-encoding, with the source's audio, subtitles and metadata.</summary>
internal static class ConcatCommand
{
    public static Command Create()
    {
        var parts = new Argument<string[]>("parts")
        {
            Description = "The parts in order, shard 0 first (gpuc run's default part names are zero-padded, so a shell glob lists them in order).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output", "-o") { Description = "The joined video.", Required = true };
        var audioFrom = new Option<string?>("--audio-from") { Description = "The video the parts were cut from: its audio, subtitles and metadata go into the output, and the parts must hold all its frames." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output if it exists." };
        var command = new Command("concat", "Join the parts of a sharded video run (gpuc run --shard) into one video, without re-encoding.")
        {
            parts, output, audioFrom, overwrite,
        };
        command.SetAction((result, cancellation) => Task.FromResult(
            Join(result.GetValue(parts)!, result.GetValue(output)!, result.GetValue(audioFrom), result.GetValue(overwrite), cancellation)));
        return command;
    }

    private static int Join(string[] parts, string output, string? audioFrom, bool overwrite, CancellationToken cancellation)
    {
        // Checked here as well as when writing, to point at this command's own flag.
        if (File.Exists(output) && !overwrite)
        {
            Console.Error.WriteLine($"gpuc concat: {output} exists; replace it with --overwrite");
            return 1;
        }
        try
        {
            long frames = VideoConcat.Join(parts, output, audioFrom, overwrite, cancellationToken: cancellation);
            Console.WriteLine($"joined {parts.Length} parts, {frames} frames, into {output}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("gpuc concat: stopped; the unfinished output is removed.");
            return 130;
        }
        catch (Exception e) when (e is MediaException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"gpuc concat: {e.Message}");
            return 1;
        }
    }
}
