using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>The packed layout of codebook indices. Each row of W is a little-endian bit stream of
/// b-bit indices in 32-bit words: index <c>k</c> of a row occupies stream bits
/// <c>[k·b, k·b + b)</c>, stream bit <c>p</c> being bit <c>p mod 32</c> of the row's word
/// <c>p / 32</c>, lowest bit of the index first. An index whose bits run past bit 31 of a word
/// (b = 3, 5, 6 or 7) continues in bit 0 of the next word. Every row starts on a word boundary and
/// takes <see cref="WordsPerRow"/> words, the unused high bits of its last word zero; rows follow
/// each other with no gap, so row <c>r</c> starts at word <c>r · WordsPerRow</c>.</summary>
public static class CodebookIndices
{
    /// <summary>Words one row of packed indices takes.</summary>
    /// <param name="columns">Indices per row.</param>
    /// <param name="bits">Bits per index.</param>
    /// <returns><c>⌈columns · bits / 32⌉</c>.</returns>
    public static int WordsPerRow(int columns, int bits) => checked((int)(((long)columns * bits + 31) / 32));

    /// <summary>Packs one byte per index into the layout described on <see cref="CodebookIndices"/>.</summary>
    /// <param name="indices">Rows × columns indices, row-major, each below 2^<paramref name="bits"/>.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <returns>Rows × <see cref="WordsPerRow"/> words.</returns>
    /// <exception cref="ArgumentException">A dimension, the length or an index is out of range.</exception>
    public static uint[] Pack(ReadOnlySpan<byte> indices, int rows, int columns, int bits)
    {
        CheckShape(rows, columns, bits);
        if (indices.Length != (long)rows * columns)
            throw new ArgumentException($"A {rows}×{columns} weight needs {(long)rows * columns} indices; got {indices.Length}.", nameof(indices));
        int wordsPerRow = WordsPerRow(columns, bits);
        var packed = new uint[(long)rows * wordsPerRow];
        for (int row = 0; row < rows; row++)
        {
            var words = packed.AsSpan(row * wordsPerRow, wordsPerRow);
            for (int column = 0; column < columns; column++)
            {
                uint index = indices[row * columns + column];
                if (index >> bits != 0)
                    throw new ArgumentException($"Index {index} does not fit in {bits} bits.", nameof(indices));
                int bit = column * bits, shift = bit & 31;
                words[bit >> 5] |= index << shift;
                // Guarded rather than always done: when nothing straddles, the shift would be 32,
                // which C# masks to 0, or-ing the whole index into the next word.
                if (shift + bits > 32)
                    words[(bit >> 5) + 1] |= index >> (32 - shift);
            }
        }
        return packed;
    }

    /// <summary>Unpacks words laid out as described on <see cref="CodebookIndices"/> to one byte per index.</summary>
    /// <param name="packed">Rows × <see cref="WordsPerRow"/> words.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <returns>Rows × columns indices, row-major.</returns>
    /// <exception cref="ArgumentException">A dimension or the length is out of range.</exception>
    public static byte[] Unpack(ReadOnlySpan<uint> packed, int rows, int columns, int bits)
    {
        CheckShape(rows, columns, bits);
        int wordsPerRow = WordsPerRow(columns, bits);
        if (packed.Length != (long)rows * wordsPerRow)
            throw new ArgumentException($"{rows} rows of {columns} {bits}-bit indices take {(long)rows * wordsPerRow} words; got {packed.Length}.", nameof(packed));
        var indices = new byte[rows * columns];
        // The host reads through the kernels' own bit extraction, so this is the layout they see.
        for (int row = 0; row < rows; row++)
            for (int column = 0; column < columns; column++)
                indices[row * columns + column] = (byte)At(packed, row * wordsPerRow, column, bits);
        return indices;
    }

    /// <summary>One index, read at random by the kernels.</summary>
    /// <param name="packed">The packed indices.</param>
    /// <param name="rowStart">The first word of the index's row.</param>
    /// <param name="column">The index's column.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <returns>The index.</returns>
    public static int At(ArrayView<uint> packed, int rowStart, int column, int bits)
    {
        int bit = column * bits;
        int word = rowStart + (bit >> 5), shift = bit & 31;
        // Only a straddling index reads the next word, which then lies inside the row.
        return Extract(packed[word], shift + bits > 32 ? packed[word + 1] : 0u, shift, bits);
    }

    /// <summary>One index, read at random by the host (<see cref="Unpack"/> and the CPU path, on host memory).</summary>
    /// <param name="packed">The packed indices.</param>
    /// <param name="rowStart">The first word of the index's row.</param>
    /// <param name="column">The index's column.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <returns>The index.</returns>
    public static int At(ReadOnlySpan<uint> packed, int rowStart, int column, int bits)
    {
        int bit = column * bits;
        int word = rowStart + (bit >> 5), shift = bit & 31;
        return Extract(packed[word], shift + bits > 32 ? packed[word + 1] : 0u, shift, bits);
    }

    /// <summary>The index whose low bits start <paramref name="shift"/> bits into <paramref name="word"/>
    /// and, when it straddles, continue in <paramref name="next"/>.</summary>
    /// <param name="word">The word holding the index's first bit.</param>
    /// <param name="next">The following word, read only for a straddling index (any value otherwise).</param>
    /// <param name="shift">The first bit's position in <paramref name="word"/>, 0–31.</param>
    /// <param name="bits">Bits per index, 1–8.</param>
    /// <returns>The index.</returns>
    public static int Extract(uint word, uint next, int shift, int bits)
    {
        uint value = word >> shift;
        // The guard keeps the shift below 32, which C# and the translated C would mask to 0.
        if (shift + bits > 32)
            value |= next << (32 - shift);
        return (int)(value & ((1u << bits) - 1));
    }

    /// <summary>Throws unless the dimensions are positive and the width is 1–8 bits.</summary>
    private static void CheckShape(int rows, int columns, int bits)
    {
        if (bits is < 1 or > 8)
            throw new ArgumentException($"Codebook indices have 1–8 bits, got {bits}.", nameof(bits));
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"A codebook weight needs positive dimensions, got {rows}×{columns}.", nameof(rows));
    }
}
