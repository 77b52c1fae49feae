namespace Gpu.Models.Compression;

/// <summary>
/// One set of channels structured pruning can remove from a network: the output channels of
/// <see cref="Producer"/>, the per-channel tensors that go with them (bias, norm parameters and
/// statistics), and the weights that read those channels as their input channels (the second
/// dimension). Removing a channel is exact for a model whose channel is wholly zero after its
/// activation, which is what pruning it means here (see docs/compression.md).
/// </summary>
/// <param name="Producer">The conv or linear weight whose output channels (first dimension) are pruned.</param>
/// <param name="PerChannel">Tensors of one value per output channel that are dropped with it.</param>
/// <param name="Consumers">Weights whose second dimension indexes the producer's channels, one entry per channel.</param>
public sealed record ChannelGroup(string Producer, IReadOnlyList<string> PerChannel, IReadOnlyList<string> Consumers)
{
    /// <summary>
    /// The channel groups of a FIP, VDSR or CRNN model: every convolution or linear layer whose output
    /// feeds only the next layer's weights. The last layer of each network (the image, the luminance
    /// residual, the classes) and the LSTMs' hidden state (whose four gates and recurrence share it)
    /// have none. None of these networks adds a skip connection between hidden layers, so no group
    /// has to be tied to another (VDSR's residual adds the input to the output image, one channel
    /// that is never pruned).
    /// </summary>
    /// <exception cref="InvalidDataException">The model is none of the three architectures.</exception>
    public static IReadOnlyList<ChannelGroup> Of(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return ModelSummary.Recognize(weights) switch
        {
            ModelArchitecture.Can => Chain(weights, i => $"layers.{i}.conv.weight", "output.weight",
                i => [.. new[] { "weight", "bias", "running_mean", "running_var" }.Select(p => $"layers.{i}.norm.bn.{p}")]),
            ModelArchitecture.Vdsr => [.. Chain(weights, i => i == 0 ? "input.weight" : $"residual_layer.{i - 1}.conv.weight", "output.weight", _ => [])],
            _ => CrnnGroups(weights),
        };
    }

    // Layer i's output feeds layer i + 1, the last layer's feeds the final tensor.
    private static List<ChannelGroup> Chain(ModelWeights weights, Func<int, string> layer, string final, Func<int, string[]> perChannel)
    {
        var groups = new List<ChannelGroup>();
        for (int i = 0; weights.Contains(layer(i)); i++)
            groups.Add(new ChannelGroup(layer(i), perChannel(i), [weights.Contains(layer(i + 1)) ? layer(i + 1) : final]));
        return groups;
    }

    private static List<ChannelGroup> CrnnGroups(ModelWeights weights)
    {
        string[] firstLstm = ["rnn.0.rnn.weight_ih_l0", "rnn.0.rnn.weight_ih_l0_reverse"];
        var groups = new List<ChannelGroup>();
        for (int i = 0; weights.Contains($"cnn.conv{i}.weight"); i++)
        {
            string[] norm = Crnn.CrnnWeights.BatchNormLayers.Contains(i)
                ? [.. new[] { "weight", "bias", "running_mean", "running_var" }.Select(p => $"cnn.batchnorm{i}.{p}")]
                : [];
            // The stack ends at height 1, so the LSTM's input features are the last convolution's channels.
            string[] consumers = weights.Contains($"cnn.conv{i + 1}.weight") ? [$"cnn.conv{i + 1}.weight"] : firstLstm;
            groups.Add(new ChannelGroup($"cnn.conv{i}.weight", [$"cnn.conv{i}.bias", .. norm], consumers));
        }
        groups.Add(new ChannelGroup("rnn.0.embedding.weight", ["rnn.0.embedding.bias"], ["rnn.1.rnn.weight_ih_l0", "rnn.1.rnn.weight_ih_l0_reverse"]));
        return groups;
    }
}
