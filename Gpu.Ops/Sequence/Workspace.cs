using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>A device scratch buffer kept between forward passes and grown when a pass needs more,
/// so repeated runs of a layer allocate nothing.</summary>
internal sealed class Workspace(Accelerator accelerator) : IDisposable
{
    private DeviceBuffer<float>? buffer;

    /// <summary>A view of at least <paramref name="length"/> elements, valid until the next call.</summary>
    public View<float> Get(long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = accelerator.Allocate<float>(length);
        }
        return buffer.SubView(0, checked((int)length));
    }

    public void Dispose() => buffer?.Dispose();
}
