namespace Gpu.Models.Compression;

/// <summary>
/// The positions of a pruned layer's kept weights as gaps (Deep Compression's relative indices):
/// each entry stores how many zeros precede it since the previous entry, in a field of
/// <see cref="Bits"/> bits. A run of zeros longer than the field holds is bridged by a padding entry,
/// a weight that is stored as zero.
/// </summary>
/// <param name="Bits">Width of the gap field, 1 to 16 bits.</param>
/// <param name="Gaps">Zeros skipped before each entry (0 … 2^Bits − 1).</param>
/// <param name="Sources">For each entry, the index of the kept weight it stores, or −1 for a padding entry.</param>
public sealed record SparseGaps(int Bits, int[] Gaps, int[] Sources)
{
    /// <summary>The largest gap the field holds.</summary>
    public int MaxGap => (1 << Bits) - 1;

    /// <summary>Entries that are padding, not kept weights.</summary>
    public int PaddingEntries => Sources.Count(s => s < 0);

    /// <summary>Encodes ascending, distinct <paramref name="positions"/> of kept weights in a layer of <paramref name="length"/> weights.</summary>
    public static SparseGaps Encode(ReadOnlySpan<int> positions, int length, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 16);
        int maxGap = (1 << bits) - 1;
        var gaps = new List<int>(positions.Length);
        var sources = new List<int>(positions.Length);
        int previous = -1;
        for (int i = 0; i < positions.Length; i++)
        {
            int position = positions[i];
            if (position <= previous || position >= length)
                throw new ArgumentException($"position {i} ({position}) is not ascending within a layer of {length} weights", nameof(positions));
            while (position - previous - 1 > maxGap)
            {
                previous += maxGap + 1;
                gaps.Add(maxGap);
                sources.Add(-1);
            }
            gaps.Add(position - previous - 1);
            sources.Add(i);
            previous = position;
        }
        return new SparseGaps(bits, [.. gaps], [.. sources]);
    }

    /// <summary>
    /// The position of every entry (padding included) from the gaps alone, as a loader rebuilds them;
    /// refuses gaps that leave a layer of <paramref name="length"/> weights or exceed the field.
    /// </summary>
    /// <exception cref="InvalidDataException">A gap is out of range or the positions run past the layer.</exception>
    public static int[] Positions(ReadOnlySpan<int> gaps, int bits, int length)
    {
        var positions = new int[gaps.Length];
        long position = -1;
        for (int i = 0; i < gaps.Length; i++)
            positions[i] = (int)(position = Next(position, gaps[i], i, bits, length));
        return positions;
    }

    /// <summary>The position entry <paramref name="entry"/> reaches from the previous entry's
    /// <paramref name="position"/> (−1 before the first) by its <paramref name="gap"/>, with the checks of <see cref="Positions"/>.</summary>
    /// <exception cref="InvalidDataException">The gap exceeds the field or the position runs past the layer.</exception>
    public static long Next(long position, int gap, long entry, int bits, int length)
    {
        if ((uint)gap > (uint)((1 << bits) - 1))
            throw new InvalidDataException($"gap {entry} is {gap}, beyond the {bits}-bit field");
        position += gap + 1L;
        if (position >= length)
            throw new InvalidDataException($"entry {entry} lands at weight {position} of a layer of {length}");
        return position;
    }
}
