using System.Security.Cryptography;
using System.Text.Json;

namespace Gpu.Bench.Models;

/// <summary>The shipped models (samples/models) exported to ONNX by tools/reference/export_onnx.py,
/// for the ONNX Runtime and OpenCV dnn peers. The files are megabytes, so they are not committed:
/// they are exported on first use into artifacts/onnx/&lt;key&gt; (ignored by git), where the key hashes
/// the models and the scripts that export them, so a changed model or script exports afresh.</summary>
public static class OnnxExports
{
    private static readonly string[] Scripts = ["export_onnx.py", "models.py", "shipped_fixtures.py", "safetensors_io.py"];

    /// <summary>One exported model.</summary>
    /// <param name="Name">The shipped file's name without extension, e.g. <c>crnn</c>.</param>
    /// <param name="Kind">can, vdsr or crnn.</param>
    /// <param name="OnnxPath">The exported file.</param>
    /// <param name="WeightsPath">The shipped safetensors file it was exported from.</param>
    /// <param name="Output">The graph's output name.</param>
    public sealed record Model(string Name, string Kind, string OnnxPath, string WeightsPath, string Output);

    private sealed record Exported(IReadOnlyDictionary<string, Model> Models, IReadOnlyDictionary<string, string> Failures, string? Unavailable, string? Torch)
    {
        public static Exported None(string reason) => new(new Dictionary<string, Model>(), new Dictionary<string, string>(), reason, null);
    }

    private static readonly Lazy<Exported> exports = new(Export);

    /// <summary>samples/models of the repository bench was built in, or null where it is not found.</summary>
    public static string? ModelsDirectory => PyTorchPeer.FindInRepository("global.json") is { } marker
        && Path.Combine(Path.GetDirectoryName(marker)!, "samples", "models") is var directory && Directory.Exists(directory) ? directory : null;

    /// <summary>The exported models by name (empty where the export could not run).</summary>
    public static IReadOnlyDictionary<string, Model> Models => exports.Value.Models;

    /// <summary>Why no model could be exported, or null.</summary>
    public static string? Unavailable => exports.Value.Unavailable;

    /// <summary>The PyTorch version that exported them, or null.</summary>
    public static string? ExportedBy => exports.Value.Torch;

    /// <summary>Why the model <paramref name="name"/> has no export, or null where it has one.</summary>
    public static string? Missing(string name)
        => Models.ContainsKey(name) ? null
            : Unavailable ?? $"export_onnx.py did not export {name}: {exports.Value.Failures.GetValueOrDefault(name, "not among samples/models")}";

    private static Exported Export()
    {
        if (ModelsDirectory is not { } modelsDirectory)
            return Exported.None("the repository's samples/models is not found above bench's binaries");
        string root = Path.GetFullPath(Path.Combine(modelsDirectory, "..", ".."));
        string[] weights = [.. Directory.GetFiles(modelsDirectory, "*.safetensors").Order(StringComparer.Ordinal)];
        if (weights.Length == 0)
            return Exported.None("samples/models holds no .safetensors files");
        string directory = Path.Combine(root, "artifacts", "onnx", Key(root, weights));
        string manifest = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifest) && ExportInto(directory) is { } unavailable)
            return Exported.None($"the ONNX export failed: {unavailable}");
        using var document = JsonDocument.Parse(File.ReadAllText(manifest));
        var exported = document.RootElement;
        var failures = exported.GetProperty("failed").EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetString() ?? "unknown");
        var models = exported.GetProperty("models").EnumerateObject().ToDictionary(m => m.Name, m => new Model(m.Name, m.Value.GetProperty("kind").GetString()!,
            Path.Combine(directory, m.Value.GetProperty("file").GetString()!), Path.Combine(modelsDirectory, m.Name + ".safetensors"),
            m.Value.GetProperty("output").GetString()!));
        return new(models, failures, null, exported.GetProperty("torch").GetString());
    }

    /// <summary>Exports into a folder of this process's own and moves it into place whole, so a bench
    /// running beside this one never reads a model file still being written; where that other bench
    /// placed its export first, this one's is dropped.</summary>
    /// <returns>Why the export failed, or null.</returns>
    private static string? ExportInto(string directory)
    {
        string staging = $"{directory}.{Environment.ProcessId}.partial";
        try
        {
            var (_, unavailable) = PyTorchPeer.Run("export_onnx.py", [staging], threads: 1);
            if (unavailable is not null)
                return unavailable;
            try
            {
                Directory.Move(staging, directory);
            }
            catch (IOException) when (File.Exists(Path.Combine(directory, "manifest.json")))
            {
            }
            return null;
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>A hash of the shipped models and the export scripts, which names the cache folder.</summary>
    private static string Key(string root, IEnumerable<string> weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in weights.Concat(Scripts.Select(s => Path.Combine(root, "tools", "reference", s))).Where(File.Exists))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
