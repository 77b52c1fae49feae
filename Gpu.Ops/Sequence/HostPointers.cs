using ILGPU;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>Raw addresses of host-addressable views for the SIMD fast paths. The memory is
/// unmanaged (never moved by the GC), so the address stays valid while the buffer lives.</summary>
internal static class HostPointers
{
    public static unsafe float* Of(ArrayView<float> view, Accelerator owner)
        => view.Length == 0 ? null : (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(view.AsHostSpan(owner)));
}
