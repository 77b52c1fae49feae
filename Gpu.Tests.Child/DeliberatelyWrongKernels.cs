using Gpu.Core;
using ILGPU;

namespace Gpu.Tests.Child;

/// <summary>Kernels with a known memory-safety bug each, which a checker such as Oclgrind must
/// report: without them a clean report could mean the checker was not running.</summary>
public static class DeliberatelyWrongKernels
{
    /// <summary>The kernels by name, each launched once on a small buffer.</summary>
    public static IReadOnlyDictionary<string, Action<Accelerator>> All { get; } = new Dictionary<string, Action<Accelerator>>
    {
        ["out-of-bounds-write"] = accelerator =>
        {
            using var output = accelerator.Allocate<float>(OutOfBoundsWriteKernel.Length);
            accelerator.Launch(OutOfBoundsWriteKernel.Length, new OutOfBoundsWriteKernel { Output = output.View });
            accelerator.Synchronize();
        },
        ["missing-barrier"] = accelerator =>
        {
            using var output = accelerator.Allocate<int>(MissingBarrierKernel.GroupSize);
            accelerator.LaunchGrouped(new GroupedExtent(1, MissingBarrierKernel.GroupSize), new MissingBarrierKernel { Output = output.View });
            accelerator.Synchronize();
        },
    };

    /// <summary>Each item writes one element past its own, so the last writes past the buffer's end.</summary>
    private struct OutOfBoundsWriteKernel : IKernel1D
    {
        public const int Length = 64;

        public ArrayView<float> Output;

        public readonly void Execute(int index) => Output[index + 1] = index;
    }

    /// <summary>Each item reads its neighbour's shared slot without the barrier between the
    /// neighbour's write and the read: a read-write race in local memory.</summary>
    private struct MissingBarrierKernel : IGroupKernel
    {
        public const int GroupSize = 64;

        public ArrayView<int> Output;

        public readonly void Execute()
        {
            var slots = SharedMemory.Allocate<int>(GroupSize);
            int local = Group.IdxX;
            slots[local] = local * 3;
            Output[local] = slots[(local + 1) % GroupSize];
        }
    }
}
