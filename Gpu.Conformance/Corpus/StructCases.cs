using Gpu.Core;
using static Gpu.Conformance.Corpus.CorpusDriver;

namespace Gpu.Conformance.Corpus;

/// <summary>Cases for structs, device functions, generic helpers and self-mutating kernels.</summary>
internal static class StructCases
{
    public static IEnumerable<ConformanceCase> All =>
    [
        new("corpus/struct-locals-mandelbrot", Mandelbrot),
        new("corpus/nested-struct-kernel-fields", NestedStructFields),
        new("corpus/struct-fields-holding-views", StructOfViews),
        new("corpus/struct-view-elements", StructElements),
        new("corpus/kernel-assigns-its-own-fields", SelfMutating),
        new("corpus/device-functions-transitive", DeviceFunctions),
        new("corpus/generic-static-helpers", GenericHelpers),
        new("corpus/ref-parameters-generic-swap", RefSwap),
        new("corpus/views-in-nested-struct-fields", NestedViewFields),
        new("corpus/instance-methods-and-properties", InstanceMembers),
    ];

    private static void Mandelbrot(Accelerator accelerator)
    {
        const int width = 24, height = 20, maxIterations = 60;
        using var output = accelerator.Allocate<int>(width * height);
        accelerator.Launch(width, height, new MandelbrotKernel { Output = ViewAndGroupCases.AsMatrix(output, width, height), MaxIterations = maxIterations });
        var expected = new int[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                // Every float operation rounded on its own, as C# does (no fused multiply-add).
                float cRe = -2f + x * 0.125f, cIm = -1.25f + y * 0.125f, re = 0, im = 0;
                int n = 0;
                for (; n < maxIterations && (float)((float)(re * re) + (float)(im * im)) <= 4f; n++)
                    (re, im) = ((float)((float)(re * re) - (float)(im * im)) + cRe, (float)(2f * re) * im + cIm);
                expected[y * width + x] = n;
            }
        Check.Exact("escape counts", expected, output.ToArray());
    }

    private static void NestedStructFields(Accelerator accelerator)
    {
        float[] input = [-2f, 0f, 1f, 2.5f, 7f, 100f];
        var transform = new Transform
        {
            First = new Affine { Scale = 2f, Offset = 1f },
            Second = new Affine { Scale = -0.5f, Offset = 3f },
        };
        foreach (var (mode, clamp) in new[] { (0, false), (1, true), (2, true), (2, false) })
        {
            var actual = Map(accelerator, input, new float[input.Length], (i, o) => new NestedStructFieldKernel
            {
                Input = i, Output = o, Transform = transform with { Mode = mode, Clamp = clamp ? (byte)1 : (byte)0 },
            });
            var expected = input.Select(x =>
            {
                float y = mode switch { 0 => 2f * x + 1f, 1 => -0.5f * x + 3f, _ => 2f * (-0.5f * x + 3f) + 1f };
                return clamp ? Math.Min(y, 10f) : y;
            }).ToArray();
            CorpusCheck.Floats($"mode {mode}, clamp {clamp}", expected, actual, 0);
        }
    }

    private static void StructOfViews(Accelerator accelerator)
    {
        int[] left = [1, 2, 3, -4, int.MinValue], right = [10, 20, 30, 40, 50];
        using var leftSource = accelerator.Allocate<int>(left);
        using var rightSource = accelerator.Allocate<int>(right);
        using var leftTarget = accelerator.Allocate<int>(left.Length);
        using var rightTarget = accelerator.Allocate<int>(right.Length + 2);
        rightTarget.Clear();
        accelerator.Launch(left.Length, new StructOfViewsKernel
        {
            Left = new Channel { Source = leftSource.View, Target = leftTarget.View, Shift = 3 },
            Right = new Channel { Source = rightSource.View, Target = rightTarget.View.SubView(2, right.Length), Shift = 1000 },
        });
        Check.Exact("left", left.Select(v => (int)((long)v * 8 & 0xFFFF_FFFF)).ToArray(), leftTarget.ToArray());
        Check.Exact("right", [0, 0, .. right.Reverse().Zip(left, (r, l) => r + l + 1000)], rightTarget.ToArray());
    }

    private static void StructElements(Accelerator accelerator)
    {
        var particles = new[]
        {
            new Particle { X = 0.5f, Velocity = 0.25f, Bounces = 0, Tag = 1 },
            new Particle { X = 0.9f, Velocity = 0.5f, Bounces = 3, Tag = short.MaxValue },
            new Particle { X = 0.1f, Velocity = -0.5f, Bounces = 7, Tag = -5 },
            new Particle { X = 0f, Velocity = 0f, Bounces = -1, Tag = 0 },
        };
        using var buffer = accelerator.Allocate<Particle>(particles);
        accelerator.Launch(particles.Length, new StructElementKernel { Particles = buffer.View, Step = 0.5f });
        var actual = buffer.ToArray();
        float[] expectedVelocity = [0.25f, -0.5f, 0.5f, 0f];
        int[] expectedBounces = [0, 4, 8, -1];
        short[] expectedTags = [1, short.MinValue, -3, 3];
        // Particles 1 and 2 leave [0, 1] and bounce.
        CorpusCheck.Floats("x", [.. particles.Select(p => p.X + p.Velocity * 0.5f)], [.. actual.Select(p => p.X)], 0);
        CorpusCheck.Floats("velocity", expectedVelocity, [.. actual.Select(p => p.Velocity)], 0);
        Check.Exact("bounces", expectedBounces, [.. actual.Select(p => p.Bounces)]);
        Check.Exact("tags", expectedTags, [.. actual.Select(p => p.Tag)]);
    }

    private static void SelfMutating(Accelerator accelerator)
    {
        // Long enough that the CPU accelerator runs several indices per chunk.
        int[] input = [.. Enumerable.Range(0, 5000).Select(i => i % 13 - 6)];
        var actual = Map(accelerator, input, new int[input.Length], (i, o) => new SelfMutatingKernel { Input = i, Output = o, Accumulator = 1000, Calls = 0 });
        Check.Exact("fresh fields per index", input.Select(v => (1000 + v) * 10 + 1).ToArray(), actual);
    }

    private static void DeviceFunctions(Accelerator accelerator)
    {
        uint[] input = [0, 1, 2, 3, 0xFFFF_FFFF, 0x8000_0000, 1_000_001, 1_000_000, 12345, 0xDEAD_BEEF];
        var actual = Map(accelerator, input, new uint[input.Length * 2], (i, o) => new DeviceFunctionKernel { Input = i, Output = o });
        // Murmur3-style mixing, written with ulong arithmetic reduced modulo 2^32.
        static uint Mix(uint v)
        {
            uint product = (uint)((ulong)v * 0xCC9E_2D51 % (1UL << 32));
            uint rotated = uint.RotateLeft(product, 15);
            return (uint)((ulong)rotated * 0x1B87_3593 % (1UL << 32));
        }
        static uint Finish(uint h)
        {
            h ^= h / 65536;
            h = (uint)((ulong)h * 0x85EB_CA6B % (1UL << 32));
            return h ^ h / 8192;
        }
        var expected = input.SelectMany((x, i) => new[]
        {
            Finish((uint)(((ulong)Mix(x ^ (uint)i) + Mix((uint)i)) % (1UL << 32))),
            x == 0 ? 0u : x % 2 == 0 ? 2u : x > 1_000_000 ? 3u : 1u,
        }).ToArray();
        Check.Exact("hash, class", expected, actual);
    }

    private static void GenericHelpers(Accelerator accelerator)
    {
        int[] ints = [5, -5, 0, int.MinValue, 7];
        double[] doubles = [0.25, 0.75, double.NaN, -1, 0.5];
        long[] longs = [10, 20, 30, 40, 50];
        using var intBuffer = accelerator.Allocate<int>(ints);
        using var doubleBuffer = accelerator.Allocate<double>(doubles);
        using var longBuffer = accelerator.Allocate<long>(longs.Length);
        using var longSources = accelerator.Allocate<long>(longs);
        accelerator.Launch(ints.Length, new GenericHelperKernel
        {
            Ints = intBuffer.View, Doubles = doubleBuffer.View, Longs = longBuffer.View, LongSources = longSources.View,
        });
        Check.Exact("ints", [5, 5, 0, int.MinValue, 7], intBuffer.ToArray());
        CorpusCheck.Doubles("doubles", [0.25, 0.5, 0.5, -1, 0.5], doubleBuffer.ToArray(), 0);
        // Even indices take the mirror element, odd ones their own.
        Check.Exact("longs", [50, 20, 30, 40, 10], longBuffer.ToArray());
    }

    private static void RefSwap(Accelerator accelerator)
    {
        int[] values = [4, 3, 2, 1, 1, 2, 3, 4, 0, -1, int.MaxValue, int.MinValue, 7, 7, 7, 7, 9, -9, 9, -9];
        using var buffer = accelerator.Allocate<int>(values);
        accelerator.Launch(values.Length / 4, new RefSwapKernel { Values = buffer.View });
        Check.Exact("sorted quads", values.Chunk(4).SelectMany(q => q.Order()).ToArray(), buffer.ToArray());
    }


    private static void NestedViewFields(Accelerator accelerator)
    {
        const int rows = 4, columns = 6, stride = 7;
        float[] data = [.. Enumerable.Range(0, rows * stride).Select(i => i * 0.5f - 3f)];
        using var input = accelerator.Allocate<float>(data);
        using var output = accelerator.Allocate<float>(rows * columns);
        accelerator.Launch(columns, rows, new NestedViewFieldKernel
        {
            Job = new MatrixJob { Source = new ScaledMatrix { Matrix = ViewAndGroupCases.AsMatrix(input, columns, rows, stride), Scale = -2f }, Offset = 0.25f },
            Output = ViewAndGroupCases.AsMatrix(output, columns, rows),
        });
        var expected = Enumerable.Range(0, rows * columns).Select(i => data[i / columns * stride + i % columns] * -2f + 0.25f).ToArray();
        CorpusCheck.Floats("scaled", expected, output.ToArray(), 0);
    }


    private static void InstanceMembers(Accelerator accelerator)
    {
        float[] pairs = [0f, 0f, 1f, 2f, -3.5f, 0.25f, 1e20f, 1e20f, -0f, 7f];
        const float weight = 1.5f, dx = 0.5f, dy = -2f;
        var actual = Map(accelerator, pairs, new float[pairs.Length / 2 * 3],
            (i, o) => new InstanceMemberKernel { Input = i, Output = o, Weight = weight, Direction = new Vector2(dx, dy) }, pairs.Length / 2);
        var expected = pairs.Chunk(2).SelectMany(p =>
        {
            float mx = p[0] + dx * weight, my = p[1] + dy * weight;
            return new[] { mx * mx + my * my, p[0] * dx + p[1] * dy, mx * weight + dy };
        }).ToArray();
        CorpusCheck.Floats("length², dot, weighed", expected, actual, 0);
    }
}
