using Gpu.Models;
using Gpu.Models.Compression;

namespace Gpu.Tests.Models.Compression;

/// <summary>How the compressed-inference tests store every compressible tensor of a shipped model.</summary>
public enum CompressedStorage
{
    /// <summary>Pruned (70 % unless a test says otherwise) and shared at 5 bits.</summary>
    PrunedAndShared,

    /// <summary>Shared at 5 bits, nothing pruned.</summary>
    Shared,

    /// <summary>int8 per output channel.</summary>
    Int8,
}

/// <summary>The shipped models compressed in memory for the compressed-inference tests, and the
/// tolerances those tests hold the compressed routes to against the decoded dense model.</summary>
public static class CompressedModels
{
    /// <summary>Sparse and codebook routes hold exactly the decoded weights and differ from the dense
    /// route only in the order of float32 sums (and the CPU's Winograd rounding) through 9 to 20 layers.</summary>
    public const double ExactRouteTolerance = 2e-4;

    /// <summary>The int8 route also quantizes each layer's activations to 7 bits per tensor, so it
    /// differs from the dense model by up to a few activation steps; bounded here on outputs of order 1.</summary>
    public const double Int8RouteTolerance = 0.08;

    private static string ShippedModel(string name) => Path.Combine(AppContext.BaseDirectory, "Shipped", name + ".safetensors");

    /// <summary>Every compressible tensor of the shipped <paramref name="model"/> stored as <paramref name="storage"/>,
    /// pruned ones at <paramref name="sparsity"/>; loaded back as a <c>.gpuc</c> model is (decoded floats and stored forms).</summary>
    public static ModelWeights Load(string model, CompressedStorage storage, double sparsity = 0.7)
    {
        var weights = ModelWeights.Read(ShippedModel(model));
        var layers = ModelCompressor.Compressible(weights);
        var plan = layers.ToDictionary(name => name, _ => new TensorPlan(storage == CompressedStorage.PrunedAndShared ? sparsity : 0, 5));
        var compressed = ModelCompressor.Compress(weights, plan);
        if (storage == CompressedStorage.Int8)
            compressed = compressed with
            {
                Tensors = [.. compressed.Tensors.Select(t => layers.Contains(t.Name) ? CompressedTensor.Int8(t.Name, t.Shape, weights.Float(t.Name, t.Shape)) : t)],
            };
        return compressed.ToWeights($"{model} ({storage})");
    }

    /// <summary>The route a layer stored to allow it takes under a forced <paramref name="routing"/>.</summary>
    public static ConvRoute Route(LayerRouting routing) => routing switch
    {
        LayerRouting.Sparse => ConvRoute.Sparse,
        LayerRouting.Codebook => ConvRoute.Codebook,
        LayerRouting.Int8 => ConvRoute.Int8,
        _ => throw new ArgumentOutOfRangeException(nameof(routing), routing, "Only a forced compressed routing names one route."),
    };
}
