using System.Text.Json;
using Gpu.Models;
using Gpu.Models.Safetensors;

namespace Gpu.Tests.Models;

/// <summary>One case of tools/reference/model_fixtures.py: the weights file as a user saved it,
/// and the io file of inputs and float64-computed expected outputs, grouped "group/tensor".</summary>
internal sealed class ModelFixture
{
    private readonly IReadOnlyDictionary<string, SafetensorsTensor> tensors;
    private readonly IReadOnlyDictionary<string, string> metadata;

    public ModelFixture(string name)
    {
        WeightsPath = Path.Combine(Directory, name + ".safetensors");
        (tensors, metadata) = SafetensorsFile.Read(Path.Combine(Directory, name + ".io.safetensors"));
    }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "models");

    public string WeightsPath { get; }

    public ModelWeights Weights() => ModelWeights.Read(WeightsPath);

    public float[] Get(string name) => tensors[name].ToFloat32();

    public long[] Int64(string name) => tensors[name].ToArray<long>();

    public int[] ShapeOf(string name) => [.. tensors[name].Shape.Select(d => (int)d)];

    public JsonElement Group(string group) => JsonDocument.Parse(metadata[group]).RootElement;

    public string Metadata(string key) => metadata[key];

    /// <summary>PyTorch's own float32 distance from the float64 result, the yardstick of a float32 implementation.</summary>
    public double Float32Difference(string group, string output) => Group(group).GetProperty("float32_max_abs_diff").GetProperty(output).GetDouble();

    public static (int N, int C, int H, int W) Shape4(int[] shape) => (shape[0], shape[1], shape[2], shape[3]);

    /// <summary>Asserts the largest absolute difference is within <paramref name="tolerance"/>, and prints it.</summary>
    public static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (!(error <= worst))
                (worst, worstAt) = (error, i);
        }
        TestContext.Out.WriteLine($"{what}: max |error| {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: element {worstAt} is {(worstAt >= 0 ? actual[worstAt] : 0)}, expected {(worstAt >= 0 ? expected[worstAt] : 0)}");
    }
}
