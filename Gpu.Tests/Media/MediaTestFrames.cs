using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Tests.Media;

/// <summary>Synthetic frames whose pixels encode their index, so order and loss are visible.</summary>
internal sealed class SyntheticSource(int frames, FrameFormat format, int failAt = -1) : IFrameSource
{
    private int next = -1;

    public string Name => "synthetic";

    public int Disposed { get; private set; }

    public bool TryDecodeNext(out FrameFormat frameFormat, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        frameFormat = format;
        if (++next == failAt)
            throw new Gpu.Media.MediaException($"synthetic: frame {next} is corrupt");
        return next < frames;
    }

    public void ConvertCurrent(Memory<float> planar) => planar.Span.Fill(Value(next));

    public static float Value(long index) => (index % 1000) / 1000f;

    public void Dispose() => Disposed++;
}

/// <summary>Keeps a copy of each frame written, and whether the run was completed.</summary>
internal sealed class MemorySink : IFrameSink
{
    public List<(long Index, FrameFormat Format, float[] Pixels)> Frames { get; } = [];

    public long? CompletedWith { get; private set; }

    public void Write(FrameBatch batch, CancellationToken cancellationToken)
    {
        for (int n = 0; n < batch.Count; n++)
            Frames.Add((batch.FirstFrameIndex + n, batch.Format, batch.Frame(n).ToArray()));
    }

    public void Complete(long frameCount, CancellationToken cancellationToken) => CompletedWith = frameCount;

    public void Dispose()
    {
    }
}

internal static class TestProcessors
{
    public static IFrameProcessor Identity(string name = "identity") => new DelegateFrameProcessor(name, (input, _, _) => input);

    /// <summary>Nearest-neighbour ×2 upscale into a new batch, as a super-resolution model changes the size.</summary>
    public static IFrameProcessor Double(string name = "double") => new DelegateFrameProcessor(name, (input, pool, _) =>
    {
        var inSize = input.Format.Size;
        var output = pool.Rent(input.Format with { Size = new FrameSize(2 * inSize.Width, 2 * inSize.Height) }, input.Count);
        for (int n = 0; n < input.Count; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                var src = input.Plane(n, c);
                var dst = output.Plane(n, c);
                for (int y = 0; y < 2 * inSize.Height; y++)
                    for (int x = 0; x < 2 * inSize.Width; x++)
                        dst[y * 2 * inSize.Width + x] = src[(y / 2) * inSize.Width + x / 2];
            }
        }
        return output;
    });
}
