namespace Gpu.Media.Video;

/// <summary>
/// The frames one shard of a video holds: a run of frames starting at a keyframe (or at the video's
/// first frame), so that it decodes on its own into exactly the frames the whole video has there.
/// </summary>
/// <param name="Index">Which shard, from 0.</param>
/// <param name="Count">How many shards the video is cut into.</param>
/// <param name="FirstFrame">The shard's first frame, counted in presentation order from 0.</param>
/// <param name="FrameCount">How many frames the shard holds; 0 where no keyframe fell to it.</param>
/// <param name="SeekSeconds">
/// The input seek (ffmpeg's <c>-ss</c> before <c>-i</c>) after which <paramref name="FirstFrame"/> is the
/// first frame ffmpeg keeps; 0 for a shard that starts at the first frame and is decoded from the start.
/// </param>
public sealed record VideoSegment(int Index, int Count, long FirstFrame, long FrameCount, double SeekSeconds)
{
    /// <summary>Whether the shard holds no frames.</summary>
    public bool IsEmpty => FrameCount == 0;

    /// <summary>"shard 1/3 (frames 20 to 29)", as messages name it.</summary>
    public override string ToString()
        => IsEmpty ? $"shard {Index}/{Count} (no frames)" : $"shard {Index}/{Count} (frames {FirstFrame} to {FirstFrame + FrameCount - 1})";
}
