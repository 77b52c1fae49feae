using System.Runtime.CompilerServices;

namespace Gpu.Core;

/// <summary>Atomic read-modify-write on an element of a view. Each returns the value the element
/// held before the operation. The kernel compiler maps them to the device's atomics.</summary>
public static unsafe class Atomic
{
    private static ref TValue At<TValue>(View<TValue> view, int index) where TValue : unmanaged
        => ref Unsafe.AsRef<TValue>((TValue*)view.Handle + view.Offset + index);

    /// <summary>Adds <paramref name="value"/> to <c>view[index]</c>.</summary>
    /// <param name="view">The view.</param>
    /// <param name="index">Element index.</param>
    /// <param name="value">Amount to add (wrapping).</param>
    /// <returns>The previous value.</returns>
    public static int Add(View<int> view, int index, int value) => Interlocked.Add(ref At(view, index), value) - value;

    /// <inheritdoc cref="Add(View{int}, int, int)"/>
    public static uint Add(View<uint> view, int index, uint value) => Interlocked.Add(ref At(view, index), value) - value;

    /// <inheritdoc cref="Add(View{int}, int, int)"/>
    public static float Add(View<float> view, int index, float value)
    {
        ref float target = ref At(view, index);
        float seen = Volatile.Read(ref target);
        while (true)
        {
            float previous = Interlocked.CompareExchange(ref target, seen + value, seen);
            if (BitConverter.SingleToInt32Bits(previous) == BitConverter.SingleToInt32Bits(seen))
                return previous;
            seen = previous;
        }
    }

    /// <summary>Stores the smaller of <c>view[index]</c> and <paramref name="value"/>.</summary>
    /// <param name="view">The view.</param>
    /// <param name="index">Element index.</param>
    /// <param name="value">Candidate value.</param>
    /// <returns>The previous value.</returns>
    public static int Min(View<int> view, int index, int value)
    {
        ref int target = ref At(view, index);
        int seen = Volatile.Read(ref target);
        while (value < seen)
        {
            int previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return previous;
            seen = previous;
        }
        return seen;
    }

    /// <inheritdoc cref="Min(View{int}, int, int)"/>
    public static uint Min(View<uint> view, int index, uint value)
    {
        ref uint target = ref At(view, index);
        uint seen = Volatile.Read(ref target);
        while (value < seen)
        {
            uint previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return previous;
            seen = previous;
        }
        return seen;
    }

    /// <summary>Stores the larger of <c>view[index]</c> and <paramref name="value"/>.</summary>
    /// <param name="view">The view.</param>
    /// <param name="index">Element index.</param>
    /// <param name="value">Candidate value.</param>
    /// <returns>The previous value.</returns>
    public static int Max(View<int> view, int index, int value)
    {
        ref int target = ref At(view, index);
        int seen = Volatile.Read(ref target);
        while (value > seen)
        {
            int previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return previous;
            seen = previous;
        }
        return seen;
    }

    /// <inheritdoc cref="Max(View{int}, int, int)"/>
    public static uint Max(View<uint> view, int index, uint value)
    {
        ref uint target = ref At(view, index);
        uint seen = Volatile.Read(ref target);
        while (value > seen)
        {
            uint previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return previous;
            seen = previous;
        }
        return seen;
    }

    /// <summary>Stores <paramref name="value"/> in <c>view[index]</c>.</summary>
    /// <param name="view">The view.</param>
    /// <param name="index">Element index.</param>
    /// <param name="value">New value.</param>
    /// <returns>The previous value.</returns>
    public static int Exchange(View<int> view, int index, int value) => Interlocked.Exchange(ref At(view, index), value);

    /// <inheritdoc cref="Exchange(View{int}, int, int)"/>
    public static uint Exchange(View<uint> view, int index, uint value) => Interlocked.Exchange(ref At(view, index), value);

    /// <inheritdoc cref="Exchange(View{int}, int, int)"/>
    public static float Exchange(View<float> view, int index, float value) => Interlocked.Exchange(ref At(view, index), value);

    /// <summary>Stores <paramref name="value"/> in <c>view[index]</c> if it equals <paramref name="comparand"/>.</summary>
    /// <param name="view">The view.</param>
    /// <param name="index">Element index.</param>
    /// <param name="comparand">The value expected.</param>
    /// <param name="value">The value stored on a match.</param>
    /// <returns>The previous value; equal to <paramref name="comparand"/> when the store happened.</returns>
    public static int CompareExchange(View<int> view, int index, int comparand, int value) => Interlocked.CompareExchange(ref At(view, index), value, comparand);

    /// <inheritdoc cref="CompareExchange(View{int}, int, int, int)"/>
    public static uint CompareExchange(View<uint> view, int index, uint comparand, uint value) => Interlocked.CompareExchange(ref At(view, index), value, comparand);
}
