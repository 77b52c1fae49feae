using System.Text.Json;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Models.Safetensors;
using Gpu.Ops;

namespace Gpu.Tests.Ops.Image;

/// <summary>Fixtures, random data, layout helpers and comparisons shared by the image-op tests.</summary>
internal static class ImageTestData
{
    /// <summary>One file of tools/reference/image_ops.py: tensors by "case/name" and per-case geometry.</summary>
    public sealed class Fixture(string file)
    {
        private readonly (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) content =
            SafetensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "image", file + ".safetensors"));

        public float[] Get(string name) => content.Tensors[name].ToArray<float>();

        public float[]? Find(string name) => content.Tensors.TryGetValue(name, out var tensor) ? tensor.ToArray<float>() : null;

        public int[] ShapeOf(string name) => [.. content.Tensors[name].Shape.Select(d => (int)d)];

        public JsonElement Geometry(string caseName) => JsonDocument.Parse(content.Metadata[caseName]).RootElement;
    }

    private static readonly Dictionary<string, Fixture> Loaded = [];

    public static Fixture Load(string file)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(file, out var fixture))
                Loaded[file] = fixture = new Fixture(file);
            return fixture;
        }
    }

    public static float[] Random(long length, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (long i = 0; i < values.Length; i++)
            values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>Random values in [−4, 4) with NaN, ±0, ±∞ and tiny and huge magnitudes mixed in, so
    /// the element-wise paths meet every case their semantics name.</summary>
    public static float[] RandomWithSpecials(long length, int seed)
    {
        float[] specials = [float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, -1e-30f, 3e30f, -3e30f];
        float[] values = Random(length, seed, -4f, 4f);
        for (long i = 0; i < values.Length; i += 13)
            values[i] = specials[i / 13 % specials.Length];
        return values;
    }

    /// <summary>Asserts an element-wise result: bit for bit (−0 differs from +0, any NaN equals any
    /// NaN), except after sigmoid and tanh, whose exponentials may differ between implementations in
    /// the last bits.</summary>
    public static void AssertActivated(float[] expected, float[] actual, ActivationKind activation, string what)
    {
        if (activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
        {
            AssertClose(expected, actual, 1e-6f, 1e-6f, what);
            return;
        }
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>NCHW host data as NHWC.</summary>
    public static float[] ToNhwc(float[] nchw, int n, int c, int h, int w)
    {
        var result = new float[nchw.Length];
        for (int b = 0; b < n; b++)
            for (int k = 0; k < c; k++)
                for (int p = 0; p < h * w; p++)
                    result[(b * h * w + p) * c + k] = nchw[(b * c + k) * h * w + p];
        return result;
    }

    /// <summary>NHWC host data as NCHW.</summary>
    public static float[] ToNchw(float[] nhwc, int n, int c, int h, int w)
    {
        var result = new float[nhwc.Length];
        for (int b = 0; b < n; b++)
            for (int k = 0; k < c; k++)
                for (int p = 0; p < h * w; p++)
                    result[(b * c + k) * h * w + p] = nhwc[(b * h * w + p) * c + k];
        return result;
    }

    /// <summary>Asserts |actual − expected| ≤ absolute + relative·|expected| element by element (NaN
    /// equals NaN, and an infinity only itself).</summary>
    public static void AssertClose(float[] expected, float[] actual, float absolute, float relative, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i]) || expected[i] == actual[i])
                continue;
            float allowed = absolute + relative * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= allowed))
                Assert.Fail($"{what}: element {i}: expected {expected[i]}, got {actual[i]} (allowed error {allowed})");
        }
    }
}
