using Gpu.Core;

namespace Gpu.Models.Safetensors;

/// <summary>An open, validated safetensors file whose tensor bytes are read from a read-only
/// memory mapping (made by <see cref="SafetensorsFile.Open"/>).</summary>
public sealed class SafetensorsArchive : IDisposable
{
    private readonly MappedFile mapping;

    internal SafetensorsArchive(string path, IReadOnlyDictionary<string, SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata, MappedFile mapping)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
        this.mapping = mapping;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The tensors by name; their data is valid until the archive is disposed.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Unmaps the file.</summary>
    public void Dispose() => mapping.Dispose();
}
