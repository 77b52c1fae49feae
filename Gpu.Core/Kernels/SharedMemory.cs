using System.Runtime.InteropServices;

namespace Gpu.Core;

/// <summary>Memory shared by the threads of one group of an <see cref="IGroupKernel"/>.</summary>
public static class SharedMemory
{
    /// <summary>Allocates <paramref name="length"/> elements visible to the whole group. Every
    /// thread of the group must make the same calls in the same order; the length must be a
    /// compile-time constant so GPU backends can size the allocation statically.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">Number of elements, a constant.</param>
    /// <returns>The group's shared view; its contents start undefined.</returns>
    public static View<T> Allocate<T>(int length) where T : unmanaged
    {
        var state = Group.Current;
        return state.Arena.Get<T>(state.AllocationOrdinal++, length);
    }
}

/// <summary>The shared allocations of the group the CPU emulation is running: the n-th call to
/// <see cref="SharedMemory.Allocate{T}"/> returns the same memory to every thread of the group.</summary>
internal sealed unsafe class SharedMemoryArena : IDisposable
{
    private readonly List<(nint Pointer, long Bytes)> allocations = [];
    private readonly Lock gate = new();

    public View<T> Get<T>(int ordinal, int length) where T : unmanaged
    {
        long bytes = (long)length * sizeof(T);
        lock (gate)
        {
            while (allocations.Count <= ordinal)
                allocations.Add((0, 0));
            var (pointer, existing) = allocations[ordinal];
            if (pointer == 0)
            {
                pointer = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
                allocations[ordinal] = (pointer, bytes);
            }
            else if (existing != bytes)
            {
                throw new InvalidOperationException(
                    $"Shared allocation #{ordinal} was made with {existing} bytes by one thread and {bytes} by another; every thread of a group must allocate alike.");
            }
            return new View<T>(pointer, 0, length);
        }
    }

    public void Dispose()
    {
        foreach (var (pointer, _) in allocations)
            if (pointer != 0)
                NativeMemory.AlignedFree((void*)pointer);
        allocations.Clear();
    }
}
