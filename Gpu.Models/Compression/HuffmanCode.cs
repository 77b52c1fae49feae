namespace Gpu.Models.Compression;

/// <summary>
/// A canonical Huffman code over symbols 0 … n−1 (Deep Compression codes a layer's codebook indices
/// and its sparse index gaps this way). Canonical codes are fully described by each symbol's code
/// length, so a file stores only the lengths; codes are assigned in order of (length, symbol) and
/// written most significant bit first.
/// </summary>
public sealed class HuffmanCode
{
    /// <summary>The longest code <see cref="FromFrequencies"/> builds and <see cref="FromLengths"/> accepts.</summary>
    public const int MaxCodeLength = 24;

    private readonly byte[] lengths;
    private readonly uint[] codes;
    private readonly int[] countPerLength = new int[MaxCodeLength + 1];
    private readonly int[] symbolsByCode;

    private HuffmanCode(byte[] lengths)
    {
        this.lengths = lengths;
        codes = new uint[lengths.Length];
        foreach (byte length in lengths)
            countPerLength[length]++;
        countPerLength[0] = 0;
        symbolsByCode = [.. Enumerable.Range(0, lengths.Length).Where(s => lengths[s] > 0).OrderBy(s => lengths[s]).ThenBy(s => s)];
        uint code = 0;
        int previousLength = 0;
        foreach (int symbol in symbolsByCode)
        {
            code <<= lengths[symbol] - previousLength;
            previousLength = lengths[symbol];
            codes[symbol] = code++;
        }
    }

    /// <summary>Code length of every symbol; 0 for a symbol that has no code.</summary>
    public ReadOnlySpan<byte> Lengths => lengths;

    /// <summary>Number of symbols, coded or not.</summary>
    public int AlphabetSize => lengths.Length;

    /// <summary>
    /// The optimal code for these symbol counts, its lengths capped at <paramref name="maxLength"/>
    /// (where the optimal code is deeper, counts are halved until it fits, which costs a little
    /// optimality). Symbols of count 0 get no code; a single used symbol gets a 1-bit code.
    /// </summary>
    public static HuffmanCode FromFrequencies(ReadOnlySpan<long> frequencies, int maxLength = MaxCodeLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, MaxCodeLength);
        long[] counts = frequencies.ToArray();
        if (counts.Any(c => c < 0))
            throw new ArgumentException("symbol counts must not be negative", nameof(frequencies));
        int used = counts.Count(c => c > 0);
        if (used > 1L << maxLength)
            throw new ArgumentException($"{used} symbols do not fit codes of at most {maxLength} bits", nameof(frequencies));
        while (true)
        {
            byte[] lengths = OptimalLengths(counts);
            if (lengths.All(l => l <= maxLength))
                return new HuffmanCode(lengths);
            for (int s = 0; s < counts.Length; s++)
                if (counts[s] > 0)
                    counts[s] = (counts[s] + 1) / 2;
        }
    }

    /// <summary>
    /// The canonical code with these lengths, as read from a file: each at most
    /// <see cref="MaxCodeLength"/>, and together not over-subscribed (Kraft sum at most 1).
    /// </summary>
    /// <exception cref="InvalidDataException">The lengths describe no prefix code.</exception>
    public static HuffmanCode FromLengths(ReadOnlySpan<byte> lengths)
    {
        double kraft = 0;
        for (int s = 0; s < lengths.Length; s++)
        {
            if (lengths[s] > MaxCodeLength)
                throw new InvalidDataException($"symbol {s} has a {lengths[s]}-bit code; at most {MaxCodeLength} bits are allowed");
            if (lengths[s] > 0)
                kraft += Math.ScaleB(1.0, -lengths[s]);
        }
        if (kraft > 1)
            throw new InvalidDataException($"the code lengths are over-subscribed (Kraft sum {kraft}): no prefix code has them");
        return new HuffmanCode(lengths.ToArray());
    }

    /// <summary>Bits that <paramref name="symbols"/> take in this code.</summary>
    public long EncodedBits(ReadOnlySpan<int> symbols)
    {
        long bits = 0;
        foreach (int symbol in symbols)
            bits += LengthOf(symbol);
        return bits;
    }

    /// <summary>Appends the codes of <paramref name="symbols"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<int> symbols, BitWriter output)
    {
        foreach (int symbol in symbols)
            output.Write(codes[symbol], LengthOf(symbol));
    }

    /// <summary>Reads <paramref name="symbols"/>.Length codes from <paramref name="input"/>.</summary>
    /// <exception cref="InvalidDataException">The stream ends early or holds a bit pattern that is no code.</exception>
    public void Decode(ref BitReader input, Span<int> symbols)
    {
        for (int i = 0; i < symbols.Length; i++)
        {
            // Canonical decoding: codes of one length are consecutive numbers, the first of each
            // length following on from the last of the shorter ones.
            int code = 0, first = 0, index = 0;
            int symbol = -1;
            for (int length = 1; length <= MaxCodeLength; length++)
            {
                code |= input.ReadBit();
                int count = countPerLength[length];
                if (code - first < count)
                {
                    symbol = symbolsByCode[index + code - first];
                    break;
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            if (symbol < 0)
                throw new InvalidDataException($"symbol {i} of the stream is no code of this table");
            symbols[i] = symbol;
        }
    }

    private int LengthOf(int symbol)
    {
        if ((uint)symbol >= (uint)lengths.Length || lengths[symbol] == 0)
            throw new ArgumentException($"symbol {symbol} has no code (alphabet of {lengths.Length}, used symbols only)");
        return lengths[symbol];
    }

    private static byte[] OptimalLengths(long[] counts)
    {
        var lengths = new byte[counts.Length];
        var used = Enumerable.Range(0, counts.Length).Where(s => counts[s] > 0).ToList();
        if (used.Count == 1)
            lengths[used[0]] = 1;
        if (used.Count <= 1)
            return lengths;
        // Nodes 0 … n−1 are the symbols, later ones the merged pairs; ties break on the node number,
        // so the same counts always give the same code.
        var parent = new int[2 * counts.Length];
        var queue = new PriorityQueue<int, (long, int)>();
        foreach (int s in used)
            queue.Enqueue(s, (counts[s], s));
        int next = counts.Length;
        while (queue.Count > 1)
        {
            queue.TryDequeue(out int a, out var pa);
            queue.TryDequeue(out int b, out var pb);
            parent[a] = parent[b] = next;
            queue.Enqueue(next, (pa.Item1 + pb.Item1, next));
            next++;
        }
        int root = next - 1;
        var depth = new int[next];
        for (int node = root - 1; node >= 0; node--)
            if (node >= counts.Length || counts[node] > 0)
                depth[node] = depth[parent[node]] + 1;
        foreach (int s in used)
            lengths[s] = (byte)Math.Min(depth[s], 255);
        return lengths;
    }
}
