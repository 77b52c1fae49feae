using System.Diagnostics;
using Gpu.Media.Video;

namespace Gpu.Tests.Media;

/// <summary>Runs ffmpeg to make the test videos, failing the test with ffmpeg's own errors, and reads their frames back.</summary>
internal static class TestVideos
{
    /// <summary>Every frame <paramref name="source"/> decodes, as planar float RGB; the source is disposed.</summary>
    public static List<float[]> Frames(FfmpegVideoSource source)
    {
        using (source)
        {
            var frames = new List<float[]>();
            while (source.TryDecodeNext(out var format, CancellationToken.None))
            {
                var planar = new float[format.FloatsPerFrame];
                source.ConvertCurrent(planar);
                frames.Add(planar);
            }
            return frames;
        }
    }

    public static void Ffmpeg(FfmpegTools tools, params string[] arguments)
    {
        var info = new ProcessStartInfo(tools.FfmpegPath) { RedirectStandardError = true };
        foreach (string argument in new[] { "-nostdin", "-v", "error", "-y" }.Concat(arguments))
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, errors);
    }
}
