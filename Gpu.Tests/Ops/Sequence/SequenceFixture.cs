using Gpu.Models.Safetensors;

namespace Gpu.Tests.Ops.Sequence;

/// <summary>A PyTorch reference case written by tools/reference/sequence_ops.py.</summary>
public sealed class SequenceFixture
{
    private readonly IReadOnlyDictionary<string, SafetensorsTensor> tensors;
    private readonly IReadOnlyDictionary<string, string> metadata;

    private SequenceFixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sequence", name + ".safetensors");
        (tensors, metadata) = SafetensorsFile.Read(path);
    }

    public static SequenceFixture Load(string name) => new(name);

    public float[] Floats(string name) => tensors[name].ToArray<float>();

    public int[] Ints(string name) => tensors[name].ToArray<int>();

    public IReadOnlyList<long> Shape(string name) => tensors[name].Shape;

    public bool Has(string name) => tensors.ContainsKey(name);

    public int Int(string key) => int.Parse(metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public string Text(string key) => metadata[key];

    /// <summary>Every float tensor whose name is not one of <paramref name="excluded"/>: the weights by their names.</summary>
    public Dictionary<string, float[]> Weights(params string[] excluded)
        => tensors.Values.Where(t => !excluded.Contains(t.Name)).ToDictionary(t => t.Name, t => t.ToArray<float>());
}
