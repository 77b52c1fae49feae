using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The ILGPU <see cref="MemoryBuffer"/> behind the <see cref="ArrayView{T}"/>s of a
/// <see cref="DeviceBuffer{T}"/> whose memory ILGPU did not allocate: a host block of the CPU engine,
/// a <c>cl_mem</c> of the OpenCL 1.2 engine, a device address of the CUDA C engine. An ILGPU view is
/// a buffer reference, an element index and a length; this buffer only carries the handle
/// (<see cref="MemoryBuffer.NativePtr"/>) that the engine's kernel arguments and the CPU loop read.
/// It has no ILGPU accelerator, so ILGPU takes it for CPU memory: host indexing of its views is
/// right for the CPU engine's memory and, as for any device memory, meaningless for the others.
/// Copies go through the <see cref="DeviceBuffer{T}"/>, never through this object.</summary>
internal sealed class EngineMemoryBuffer : MemoryBuffer
{
    /// <summary>Wraps <paramref name="handle"/>, an allocation of <paramref name="bytes"/> bytes.</summary>
    public EngineMemoryBuffer(nint handle, long bytes) : base(null!, bytes, 1) => NativePtr = handle;

    /// <inheritdoc/>
    protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView)
        => throw NotThroughIlgpu();

    /// <inheritdoc/>
    protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView)
        => throw NotThroughIlgpu();

    /// <inheritdoc/>
    protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView)
        => throw NotThroughIlgpu();

    /// <inheritdoc/>
    protected override void DisposeAcceleratorObject(bool disposing)
    {
        // The DeviceBuffer frees the memory; this object owns none.
    }

    private static NotSupportedException NotThroughIlgpu()
        => new("This memory belongs to one of the project's own engines: copy it through its DeviceBuffer, not through ILGPU.");
}
