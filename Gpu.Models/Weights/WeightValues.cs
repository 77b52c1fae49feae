namespace Gpu.Models;

/// <summary>
/// The float32 values of one weight tensor, either held already or decoded from a compressed
/// <c>.gpuc</c> tensor the first time <see cref="Values"/> is read and then kept. A layer that runs
/// from the compressed form never reads them, so a model forced onto its sparse, codebook or int8
/// routes never holds its dense weights.
/// </summary>
public sealed class WeightValues
{
    private readonly Func<float[]>? decode;
    private readonly Lock gate = new();
    private float[]? values;

    /// <summary>Values already in memory.</summary>
    public WeightValues(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        this.values = values;
        Length = values.Length;
    }

    /// <summary>Values that <paramref name="decode"/> produces on first use; <paramref name="length"/>
    /// is checked against what it returns.</summary>
    public WeightValues(long length, Func<float[]> decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.decode = decode;
        Length = length;
    }

    /// <summary>Number of values.</summary>
    public long Length { get; }

    /// <summary>Whether the float32 values are in memory (given, or decoded by an earlier read of <see cref="Values"/>).</summary>
    public bool IsMaterialized => Volatile.Read(ref values) is not null;

    /// <summary>The float32 values, decoded on the first read.</summary>
    /// <exception cref="InvalidDataException">The compressed payload is corrupt.</exception>
    public float[] Values
    {
        get
        {
            if (Volatile.Read(ref values) is { } held)
                return held;
            lock (gate)
            {
                if (values is null)
                {
                    float[] decoded = decode!();
                    if (decoded.Length != Length)
                        throw new InvalidDataException($"decoding gave {decoded.Length} values where {Length} were expected");
                    Volatile.Write(ref values, decoded);
                }
                return values;
            }
        }
    }

    /// <summary>Wraps values already in memory; null stays null, so argument checks still see it.</summary>
    public static implicit operator WeightValues(float[] values) => values is null ? null! : new WeightValues(values);
}
