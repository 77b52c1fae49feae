namespace Gpu.Ops.Sequence;

/// <summary>Looks up weights by name, with an error that says which tensor is missing or mis-sized.</summary>
internal static class NamedWeights
{
    public static float[] Get(IReadOnlyDictionary<string, float[]> weights, string name, int length)
    {
        if (!weights.TryGetValue(name, out var values))
            throw new ArgumentException($"Weight '{name}' is missing (have: {string.Join(", ", weights.Keys.Order())}).");
        if (values.Length != length)
            throw new ArgumentException($"Weight '{name}' holds {values.Length} values; {length} expected.");
        return values;
    }

    public static float[] GetOrZeros(IReadOnlyDictionary<string, float[]> weights, string name, int length, bool present)
        => present ? Get(weights, name, length) : new float[length];
}
