using System.Collections.Concurrent;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The live <see cref="DeviceBuffer{T}"/>s of the process by id, each with its accelerator:
/// what a <see cref="View{T}"/>'s <see cref="View{T}.Allocation"/> is checked against.</summary>
internal static class Allocations
{
    private static readonly ConcurrentDictionary<int, (Accelerator Owner, IArrayViewSource Buffer, MemoryBuffer? Borrowed)> live = new();
    private static int last;

    /// <summary>A fresh id for <paramref name="buffer"/>, a buffer of <paramref name="owner"/>. Ids wrap after 2^32 allocations;
    /// one still held by a live buffer is skipped, so two live buffers never share one.</summary>
    /// <param name="owner">The accelerator the buffer belongs to.</param>
    /// <param name="buffer">The buffer, whose ILGPU view source <see cref="View{T}.AsArrayView"/> looks up by id.</param>
    /// <param name="borrowed">The user's ILGPU buffer the memory is borrowed from, or null: the user may
    /// dispose it behind the library's back, and from then on the id counts as disposed.</param>
    public static int Register(Accelerator owner, IArrayViewSource buffer, MemoryBuffer? borrowed)
    {
        while (true)
        {
            int id = Interlocked.Increment(ref last);
            if (id != 0 && live.TryAdd(id, (owner, buffer, borrowed)))
                return id;
        }
    }

    /// <summary>Forgets a disposed buffer: views carrying its id are refused from now on.</summary>
    public static void Release(int id) => live.TryRemove(id, out _);

    private static readonly ConcurrentDictionary<MemoryBuffer, int> sources = new(ReferenceEqualityComparer.Instance);

    /// <summary>Records that ILGPU views over <paramref name="source"/> are views of the buffer <paramref name="id"/>.</summary>
    public static void RegisterSource(MemoryBuffer source, int id) => sources[source] = id;

    /// <summary>Forgets a disposed buffer's ILGPU view source.</summary>
    public static void ReleaseSource(MemoryBuffer source) => sources.TryRemove(source, out _);

    /// <summary>The id of the live buffer whose ILGPU views read <paramref name="source"/>, or 0 for a
    /// source no <see cref="DeviceBuffer{T}"/> made (or one already disposed).</summary>
    public static int SourceOf(MemoryBuffer? source) => source is not null && sources.TryGetValue(source, out int id) ? id : 0;

    /// <summary>The accelerator of the live buffer <paramref name="id"/>, or null once it (or the user's
    /// buffer it borrows) is disposed.</summary>
    public static Accelerator? OwnerOf(int id)
        => live.TryGetValue(id, out var entry) && entry.Borrowed is not { IsDisposed: true } ? entry.Owner : null;

    /// <summary>The ILGPU buffer behind the ILGPU views of the live buffer <paramref name="id"/>, or null once it is disposed.</summary>
    public static MemoryBuffer? ViewSourceOf(int id) => OwnerOf(id) is not null && live.TryGetValue(id, out var entry) ? entry.Buffer.ViewSource : null;
}

/// <summary>A buffer whose memory ILGPU views can refer to (<see cref="DeviceBuffer{T}"/> of any element type).</summary>
internal interface IArrayViewSource
{
    /// <summary>The ILGPU buffer its ILGPU views refer to.</summary>
    MemoryBuffer ViewSource { get; }
}
