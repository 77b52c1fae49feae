using CsCheck;
using Gpu.Models.Compression;

namespace Gpu.Tests.Models.Compression;

/// <summary>The coding layers of Deep Compression, each against an independent statement of what it
/// must do: Huffman and gap codes round-trip any input (empty, single-symbol, all-zero and no-zero
/// layers, gaps longer than the field) and refuse corrupt streams; Huffman codes are prefix codes no
/// longer than the cap and optimal where uncapped; k-means finds known clusters; magnitude pruning
/// drops exactly the smallest weights.</summary>
public sealed class CompressionCodingTests
{
    private static readonly Gen<int[]> Symbols = Gen.Int[0, 40].SelectMany(alphabet => Gen.Int[0, alphabet].Array[0, 300]);

    [Test]
    public void HuffmanRoundTripsAnySymbolSequence()
    {
        Symbols.Sample(symbols =>
        {
            int alphabet = symbols.Length == 0 ? 1 : symbols.Max() + 1;
            var code = HuffmanCode.FromFrequencies(Counts(symbols, alphabet));
            var writer = new BitWriter();
            code.Encode(symbols, writer);
            Assert.That(writer.BitCount, Is.EqualTo(code.EncodedBits(symbols)));

            // What a loader sees: only the lengths and the bytes.
            var read = HuffmanCode.FromLengths(code.Lengths);
            var decoded = new int[symbols.Length];
            var reader = new BitReader(writer.ToArray());
            read.Decode(ref reader, decoded);
            Assert.That(decoded, Is.EqualTo(symbols));
        }, iter: 300);
    }

    [Test]
    public void HuffmanLengthsAreOptimalUncappedAndRespectTheCap()
    {
        Gen.Long[1, 1_000_000].Array[2, 30].Sample(counts =>
        {
            var code = HuffmanCode.FromFrequencies(counts);
            Assert.That(Kraft(code.Lengths), Is.EqualTo(1.0).Within(1e-12), "a Huffman code is complete");
            Assert.That(Cost(code.Lengths, counts), Is.EqualTo(OptimalCost(counts)), "total bits equal the merge cost of Huffman's algorithm");

            var capped = HuffmanCode.FromFrequencies(counts, maxLength: 5);
            Assert.That(capped.Lengths.ToArray().Max(), Is.LessThanOrEqualTo(5));
            Assert.That(Kraft(capped.Lengths), Is.LessThanOrEqualTo(1.0));
        }, iter: 200);
    }

    [Test]
    public void HuffmanHandlesDegenerateAlphabets()
    {
        var single = HuffmanCode.FromFrequencies([0, 0, 7]);
        Assert.That(single.Lengths.ToArray(), Is.EqualTo(new byte[] { 0, 0, 1 }));
        var empty = HuffmanCode.FromFrequencies([0, 0]);
        Assert.That(empty.Lengths.ToArray(), Is.All.EqualTo(0));
        Assert.Throws<ArgumentException>(() => single.Encode([0], new BitWriter()), "a symbol without a code");
        // Fibonacci counts make the optimal code a chain of depth n − 1: 19 for 20 symbols, within the
        // cap and so kept; 26 for 27, past it and so flattened.
        long[] fibonacci = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181, 6765, 10946, 17711, 28657, 46368, 75025, 121393, 196418];
        Assert.That(HuffmanCode.FromFrequencies(fibonacci.AsSpan(0, 20)).Lengths.ToArray().Max(), Is.EqualTo(19));
        foreach (int cap in new[] { 24, 8 })
        {
            var capped = HuffmanCode.FromFrequencies(fibonacci, maxLength: cap);
            Assert.That(capped.Lengths.ToArray().Max(), Is.LessThanOrEqualTo(cap));
            Assert.That(Kraft(capped.Lengths), Is.EqualTo(1.0).Within(1e-12));
        }
    }

    [Test]
    public void HuffmanRefusesCorruptTablesAndStreams()
    {
        Assert.Throws<InvalidDataException>(() => HuffmanCode.FromLengths([1, 1, 1]), "over-subscribed");
        Assert.Throws<InvalidDataException>(() => HuffmanCode.FromLengths([25]), "longer than the cap");

        var code = HuffmanCode.FromFrequencies([5, 3, 1]);
        var writer = new BitWriter();
        code.Encode([0, 1, 2, 2, 1], writer);
        byte[] bytes = writer.ToArray();
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new BitReader(bytes.AsSpan(0, 0));
            code.Decode(ref reader, new int[5]);
        }, "truncated");
        // One 1-bit symbol leaves the code '1' unassigned.
        var incomplete = HuffmanCode.FromLengths([1]);
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new BitReader([0xFF, 0xFF, 0xFF, 0xFF]);
            incomplete.Decode(ref reader, new int[1]);
        }, "a bit pattern that is no code");
    }

    [Test]
    public void GapsRoundTripAnyMaskAndPadLongRuns()
    {
        Gen.Select(Gen.Int[1, 8], Gen.Bool.Array[0, 600], Gen.Int[0, 3]).Sample((bits, mask, density) =>
        {
            // density 0: no weight kept; 3: every weight kept; otherwise sparse.
            int[] positions = [.. Enumerable.Range(0, mask.Length).Where(i => density == 3 || (density > 0 && mask[i] && i % density == 0))];
            var gaps = SparseGaps.Encode(positions, mask.Length, bits);
            Assert.That(gaps.Gaps, Is.All.InRange(0, gaps.MaxGap));

            int[] entryPositions = SparseGaps.Positions(gaps.Gaps, bits, mask.Length);
            int[] kept = [.. entryPositions.Where((_, e) => gaps.Sources[e] >= 0)];
            Assert.That(kept, Is.EqualTo(positions));
            Assert.That(gaps.Sources.Where(s => s >= 0), Is.EqualTo(Enumerable.Range(0, positions.Length)));
            // Padding appears exactly where a run of zeros is longer than the field.
            int previous = -1, expectedPadding = 0;
            foreach (int p in positions)
            {
                expectedPadding += (p - previous - 1) / (gaps.MaxGap + 1);
                previous = p;
            }
            Assert.That(gaps.PaddingEntries, Is.EqualTo(expectedPadding));
        }, iter: 300);
    }

    [Test]
    public void GapDecodingRefusesGapsThatLeaveTheLayer()
    {
        Assert.Throws<InvalidDataException>(() => SparseGaps.Positions([3, 3], bits: 2, length: 7));
        Assert.Throws<InvalidDataException>(() => SparseGaps.Positions([4], bits: 2, length: 100));
        Assert.Throws<ArgumentException>(() => SparseGaps.Encode([2, 2], 5, 2), "positions must ascend");
    }

    [Test]
    public void KMeansFindsWellSeparatedClusters()
    {
        float[] truth = [-0.8f, -0.1f, 0.3f, 1.2f];
        var random = new Random(5);
        float[] weights = [.. Enumerable.Range(0, 4000).Select(i => truth[i % 4] + (float)(random.NextDouble() - 0.5) * 0.02f)];
        var shared = WeightSharing.Cluster(weights, 4);
        Assert.That(shared.Centroids, Is.EqualTo(truth).Within(0.005f));
        Assert.That(shared.Indices, Is.EqualTo(Enumerable.Range(0, 4000).Select(i => i % 4)));
        float[] decoded = shared.Decode();
        Assert.That(decoded.Zip(weights).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(0.011f));
    }

    [Test]
    public void KMeansIsAFixedPointOfLloydsStep()
    {
        Gen.Float[-1, 1].Array[1, 400].Select(Gen.Int[1, 32]).Sample((weights, clusters) =>
        {
            var shared = WeightSharing.Cluster(weights, clusters);
            Assert.That(shared.Centroids, Is.Ordered);
            Assert.That(shared.Centroids.Length, Is.LessThanOrEqualTo(clusters));
            // Every weight sits at its nearest centroid, and every used centroid is the mean of its weights.
            for (int c = 0; c < shared.Centroids.Length; c++)
            {
                var members = weights.Where((_, i) => shared.Indices[i] == c).ToArray();
                if (members.Length > 0)
                    Assert.That(shared.Centroids[c], Is.EqualTo(members.Average(m => (double)m)).Within(1e-5));
            }
            for (int i = 0; i < weights.Length; i++)
                Assert.That(Math.Abs(weights[i] - shared.Centroids[shared.Indices[i]]),
                    Is.LessThanOrEqualTo(shared.Centroids.Min(c => Math.Abs(weights[i] - c)) + 1e-6f));
        }, iter: 200);
    }

    [Test]
    public void MagnitudePruningDropsExactlyTheSmallest()
    {
        Gen.Float[-1, 1].Array[0, 200].Select(Gen.Double[0, 1]).Sample((weights, sparsity) =>
        {
            bool[] keep = MagnitudePruning.MaskBySparsity(weights, sparsity);
            int dropped = keep.Count(k => !k);
            Assert.That(dropped, Is.EqualTo((int)Math.Round(sparsity * weights.Length, MidpointRounding.AwayFromZero)));
            if (dropped > 0 && dropped < weights.Length)
            {
                float largestDropped = weights.Where((_, i) => !keep[i]).Max(MathF.Abs);
                float smallestKept = weights.Where((_, i) => keep[i]).Min(MathF.Abs);
                Assert.That(largestDropped, Is.LessThanOrEqualTo(smallestKept));
            }
        }, iter: 200);
    }

    [Test]
    public void GlobalThresholdPrunesTheRequestedShareOfAllLayers()
    {
        float[] small = [.. Enumerable.Range(1, 100).Select(i => i * 0.001f)];
        float[] large = [.. Enumerable.Range(1, 100).Select(i => 1 + i * 0.01f)];
        float threshold = MagnitudePruning.GlobalThreshold([small, large], 0.5);
        // Half of all weights go, and they are all of the layer of small weights.
        Assert.That(MagnitudePruning.MaskByThreshold(small, threshold), Is.All.False);
        Assert.That(MagnitudePruning.MaskByThreshold(large, threshold), Is.All.True);
        Assert.That(MagnitudePruning.MaskByThreshold(large, MagnitudePruning.GlobalThreshold([small, large], 0)), Is.All.True);
    }

    private static long[] Counts(int[] symbols, int alphabet)
    {
        var counts = new long[alphabet];
        foreach (int s in symbols)
            counts[s]++;
        return counts;
    }

    private static double Kraft(ReadOnlySpan<byte> lengths)
    {
        double sum = 0;
        foreach (byte l in lengths)
            if (l > 0)
                sum += Math.ScaleB(1.0, -l);
        return sum;
    }

    private static long Cost(ReadOnlySpan<byte> lengths, long[] counts)
    {
        long bits = 0;
        for (int s = 0; s < counts.Length; s++)
            bits += lengths[s] * counts[s];
        return bits;
    }

    // Huffman's total cost is the sum of all merged weights, whatever the tie-breaking.
    private static long OptimalCost(long[] counts)
    {
        var queue = new PriorityQueue<long, long>(counts.Select(c => (c, c)));
        long cost = 0;
        while (queue.Count > 1)
        {
            long merged = queue.Dequeue() + queue.Dequeue();
            cost += merged;
            queue.Enqueue(merged, merged);
        }
        return cost;
    }
}
