using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Gpu.Core.Compiler;

/// <summary>Finds the C# file and line of an IL offset from the portable PDB beside the assembly.
/// Assemblies without one (in-memory Roslyn builds, stripped deployments) give no line.</summary>
internal static class SourceLocator
{
    private static readonly ConcurrentDictionary<Assembly, MetadataReaderProvider?> Pdbs = new();

    /// <summary>"file:line" of the sequence point covering <paramref name="ilOffset"/>, or null.</summary>
    public static string? Find(MethodBase method, int ilOffset)
    {
        try
        {
            var provider = Pdbs.GetOrAdd(method.Module.Assembly, Open);
            if (provider is null)
                return null;
            var reader = provider.GetMetadataReader();
            var handle = MetadataTokens.MethodDefinitionHandle(method.MetadataToken);
            var debugInformation = reader.GetMethodDebugInformation(handle);
            SequencePoint? best = null;
            foreach (var point in debugInformation.GetSequencePoints())
            {
                if (point.IsHidden || point.Offset > ilOffset)
                    continue;
                if (best is null || point.Offset >= best.Value.Offset)
                    best = point;
            }
            if (best is not { } found)
                return null;
            string file = reader.GetString(reader.GetDocument(found.Document).Name);
            return $"{file}:{found.StartLine}";
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or InvalidOperationException or ArgumentException)
        {
            // A PDB that does not match or cannot be read only costs the line number.
            return null;
        }
    }

    private static MetadataReaderProvider? Open(Assembly assembly)
    {
        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
            return null;
        string pdb = Path.ChangeExtension(assembly.Location, ".pdb");
        if (!File.Exists(pdb))
            return null;
        try
        {
            return MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdb));
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
