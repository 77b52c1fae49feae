using System.Text.Json;
using Gpu.Models.Safetensors;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>One file written by tools/reference/gemm_ops.py: tensors named "case/tensor" and each
/// case's parameters as JSON in the metadata under the case name.</summary>
internal sealed class GemmFixture
{
    private static readonly Dictionary<string, GemmFixture> Loaded = [];

    private readonly IReadOnlyDictionary<string, SafetensorsTensor> tensors;
    private readonly IReadOnlyDictionary<string, string> metadata;

    private GemmFixture(string file)
        => (tensors, metadata) = SafetensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gemm", file + ".safetensors"));

    /// <summary>The file, read once per test run.</summary>
    public static GemmFixture Load(string file)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(file, out var fixture))
                Loaded[file] = fixture = new GemmFixture(file);
            return fixture;
        }
    }

    /// <summary>The case names of a file, for TestCaseSource.</summary>
    public static IEnumerable<string> CasesOf(string file) => Load(file).metadata.Keys.Order(StringComparer.Ordinal);

    public T[] Get<T>(string caseName, string tensor) where T : unmanaged => tensors[$"{caseName}/{tensor}"].ToArray<T>();

    public T[]? Find<T>(string caseName, string tensor) where T : unmanaged
        => tensors.TryGetValue($"{caseName}/{tensor}", out var found) ? found.ToArray<T>() : null;

    public JsonElement Parameters(string caseName) => JsonDocument.Parse(metadata[caseName]).RootElement;

    /// <summary>The activation a case names ("none", "relu", "leaky", "sigmoid", "tanh").</summary>
    public static Gpu.Ops.Activation ActivationOf(JsonElement parameters) => parameters.GetProperty("activation").GetString() switch
    {
        "none" => Gpu.Ops.Activation.None,
        "relu" => Gpu.Ops.Activation.Relu,
        "leaky" => Gpu.Ops.Activation.Leaky(parameters.GetProperty("slope").GetSingle()),
        "sigmoid" => new(Gpu.Ops.ActivationKind.Sigmoid),
        "tanh" => new(Gpu.Ops.ActivationKind.Tanh),
        var other => throw new InvalidDataException($"unknown activation '{other}' in the fixture"),
    };
}
