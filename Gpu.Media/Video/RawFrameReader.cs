namespace Gpu.Media.Video;

/// <summary>
/// Reads fixed-size raw frames from a pipe: a read may return any part of a frame, and the stream's
/// end must fall on a frame boundary, or the video ended mid-frame.
/// </summary>
internal sealed class RawFrameReader(Stream stream, int frameBytes, string name)
{
    public byte[] Frame { get; } = GC.AllocateUninitializedArray<byte>(frameBytes);

    public long FramesRead { get; private set; }

    /// <summary>Fills <see cref="Frame"/> with the next frame; false at a clean end of the stream.</summary>
    public bool ReadNext()
    {
        int filled = 0;
        while (filled < frameBytes)
        {
            int read = stream.Read(Frame, filled, frameBytes - filled);
            if (read == 0)
                break;
            filled += read;
        }
        if (filled == 0)
            return false;
        if (filled < frameBytes)
            throw new MediaException($"{name}: the video ended in the middle of frame {FramesRead} ({filled:N0} of {frameBytes:N0} bytes)");
        FramesRead++;
        return true;
    }
}
