using Gpu.Media.Frames;

namespace Gpu.Media.Pipeline;

/// <summary>
/// Frames in decode order: image files, or a video through ffmpeg. The pipeline's decode stage calls
/// it from one thread: <see cref="TryDecodeNext"/> reads and decodes the next frame and says its
/// format, then <see cref="ConvertCurrent"/> writes it as planar float RGB into a batch, so decoding
/// and colour conversion are timed separately.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>A short description for reports and errors (a file name).</summary>
    string Name { get; }

    /// <summary>
    /// Decodes the next frame; false at the end. Throws <see cref="MediaException"/> naming the file
    /// and frame when the input is corrupt or ends early.
    /// </summary>
    bool TryDecodeNext(out FrameFormat format, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the frame decoded last into <paramref name="planar"/> (3 × height × width floats, R, G
    /// then B planes, values in [0, 1]).
    /// </summary>
    void ConvertCurrent(Memory<float> planar);
}
