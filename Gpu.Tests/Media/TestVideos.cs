using System.Diagnostics;
using Gpu.Media.Video;

namespace Gpu.Tests.Media;

/// <summary>Runs ffmpeg to make the test videos, failing the test with ffmpeg's own errors.</summary>
internal static class TestVideos
{
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
