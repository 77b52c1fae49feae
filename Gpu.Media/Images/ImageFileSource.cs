using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Media.Images;

/// <summary>
/// Image files as a frame source, one frame per file in the order given; each file keeps its own
/// size and depth, so batches hold consecutive files of one format.
/// </summary>
public sealed class ImageFileSource(IReadOnlyList<string> paths, ImageDecodeOptions? options = null) : IFrameSource
{
    private readonly ImageDecodeOptions options = options ?? new ImageDecodeOptions();
    private ImageCodec.DecodedImage? current;
    private int next;

    /// <inheritdoc />
    public string Name => paths.Count == 1 ? paths[0] : $"{paths.Count} images";

    /// <inheritdoc />
    public bool TryDecodeNext(out FrameFormat format, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        current?.Dispose();
        current = null;
        if (next >= paths.Count)
        {
            format = default;
            return false;
        }
        current = ImageCodec.DecodedImage.Load(paths[next++], options);
        format = current.Format;
        return true;
    }

    /// <inheritdoc />
    public void ConvertCurrent(Memory<float> planar) =>
        (current ?? throw new InvalidOperationException("no image has been decoded")).ConvertTo(planar);

    /// <summary>Releases the image decoded last.</summary>
    public void Dispose()
    {
        current?.Dispose();
        current = null;
    }
}
