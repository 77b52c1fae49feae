using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Sequence;

/// <summary>A device scratch buffer kept between forward passes and grown when a pass needs more,
/// so repeated runs of a layer allocate nothing.</summary>
internal sealed class Workspace(Accelerator accelerator) : IDisposable
{
    private DeviceBuffer<float>? buffer;

    /// <summary>A view of at least <paramref name="length"/> elements, valid until the next call.</summary>
    public ArrayView<float> Get(long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = accelerator.Allocate<float>(length);
        }
        return buffer.View.SubView(0, length);
    }

    public void Dispose() => buffer?.Dispose();
}
