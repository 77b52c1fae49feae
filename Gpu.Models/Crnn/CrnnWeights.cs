using Gpu.Models.Compression;
using Gpu.Ops.Image;

namespace Gpu.Models.Crnn;

/// <summary>One convolution of CRNN's stack with its batch norm folded in (when it has one).</summary>
/// <param name="InChannels">C.</param>
/// <param name="OutChannels">O.</param>
/// <param name="KernelSize">3, or 2 for the last.</param>
/// <param name="Padding">1, or 0 for the last.</param>
/// <param name="Weights">(O, C, k, k) weights, decoded from a compressed model only when read.</param>
/// <param name="Epilogue">Bias, the folded batch norm and ReLU.</param>
/// <param name="Stored">The weights' compressed form, as a <c>.gpuc</c> model stores them; null where stored raw or read from safetensors.</param>
public sealed record CrnnConvLayer(int InChannels, int OutChannels, int KernelSize, int Padding, WeightValues Weights, Conv2dEpilogue Epilogue,
    CompressedTensor? Stored = null);

/// <summary>One bidirectional LSTM and the linear layer after it (crnn.pytorch's <c>BidirectionalLSTM</c>).</summary>
/// <param name="InputSize">Features in.</param>
/// <param name="HiddenSize">Cells per direction.</param>
/// <param name="OutputSize">Features out of the linear layer.</param>
/// <param name="Lstm">The LSTM's weights by PyTorch name (<c>weight_ih_l0</c>, …, <c>bias_hh_l0_reverse</c>); the
/// input and recurrent weights are decoded from a compressed model only when read.</param>
/// <param name="LinearWeight">(OutputSize, 2·HiddenSize) weights, decoded from a compressed model only when read.</param>
/// <param name="LinearBias">OutputSize biases.</param>
/// <param name="StoredInputWeights">The compressed forms of <c>weight_ih_l0</c> and <c>weight_ih_l0_reverse</c>
/// (by direction), as a <c>.gpuc</c> model stores them; null (or a null entry) where stored raw or read from safetensors.</param>
/// <param name="StoredLinearWeight">The compressed form of the linear layer's weight, or null.</param>
/// <param name="StoredRecurrentWeights">The compressed forms of <c>weight_hh_l0</c> and <c>weight_hh_l0_reverse</c>
/// (by direction), or null (or a null entry), as for the input weights.</param>
public sealed record CrnnRecurrentLayer(int InputSize, int HiddenSize, int OutputSize, IReadOnlyDictionary<string, WeightValues> Lstm, WeightValues LinearWeight, float[] LinearBias,
    IReadOnlyList<CompressedTensor?>? StoredInputWeights = null, CompressedTensor? StoredLinearWeight = null, IReadOnlyList<CompressedTensor?>? StoredRecurrentWeights = null)
{
    /// <summary>The stored form of one direction's input weight (0 forward, 1 reverse), or null.</summary>
    public CompressedTensor? StoredInputWeight(int direction) => Of(StoredInputWeights, direction);

    /// <summary>The stored form of one direction's recurrent weight (0 forward, 1 reverse), or null.</summary>
    public CompressedTensor? StoredRecurrentWeight(int direction) => Of(StoredRecurrentWeights, direction);

    private static CompressedTensor? Of(IReadOnlyList<CompressedTensor?>? stored, int direction) => stored is { } tensors && direction < tensors.Count ? tensors[direction] : null;
}

/// <summary>The weights of CRNN (Shi, Bai and Yao 2015) in the public crnn.pytorch layout:
/// <c>cnn.conv{0..6}.weight/bias</c>, <c>cnn.batchnorm{2,4,6}.*</c>, then <c>rnn.{0,1}.rnn.*</c> (each a
/// bidirectional <c>nn.LSTM</c>) and <c>rnn.{0,1}.embedding.weight/bias</c>. Channel counts come
/// from the tensors, so narrower variants load too; batch norms are folded into their convolutions' epilogues (not their weights, so a compressed
/// model's stored weights stay as they were shared).</summary>
public sealed class CrnnWeights
{
    /// <summary>The convolutions followed by a batch norm.</summary>
    public static readonly IReadOnlySet<int> BatchNormLayers = new HashSet<int> { 2, 4, 6 };

    /// <summary>Labels 1… of the default alphabet (0 is the CTC blank).</summary>
    public const string DefaultAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    private CrnnWeights(IReadOnlyList<CrnnConvLayer> convolutions, IReadOnlyList<CrnnRecurrentLayer> recurrent, string alphabet, long parameterCount, CrnnInput input)
    {
        Input = input;
        Convolutions = convolutions;
        Recurrent = recurrent;
        Alphabet = alphabet;
        ParameterCount = parameterCount;
    }

    /// <summary>The seven convolutions.</summary>
    public IReadOnlyList<CrnnConvLayer> Convolutions { get; }

    /// <summary>The two BiLSTM + linear layers.</summary>
    public IReadOnlyList<CrnnRecurrentLayer> Recurrent { get; }

    /// <summary>The characters of labels 1…; label 0 is the blank.</summary>
    public string Alphabet { get; }

    /// <summary>How images become the network's input, as the weights were trained.</summary>
    public CrnnInput Input { get; }

    /// <summary>Classes of the output, blank included.</summary>
    public int Classes => Recurrent[^1].OutputSize;

    /// <summary>Learned parameters as PyTorch counts them (batch norm running statistics excluded).</summary>
    public long ParameterCount { get; }

    /// <summary>Seeded random weights of the paper's size (conv widths 64 … 512, hidden 256, 37
    /// classes), for measuring speed and memory without a trained file.</summary>
    public static CrnnWeights Random(int seed)
    {
        var random = new Random(seed);
        float[] Values(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
        int[] widths = [64, 128, 256, 256, 512, 512, 512];
        var convolutions = new List<CrnnConvLayer>();
        long parameters = 0;
        int channels = 1;
        for (int i = 0; i < widths.Length; i++)
        {
            int kernel = i == 6 ? 2 : 3, outputs = widths[i];
            var layer = new CrnnConvLayer(channels, outputs, kernel, i == 6 ? 0 : 1, Values(outputs * channels * kernel * kernel, MathF.Sqrt(6f / (channels * kernel * kernel))),
                new Conv2dEpilogue(Values(outputs, 0.1f), Activation: Ops.Activation.Relu));
            convolutions.Add(layer);
            parameters += layer.Weights.Length + outputs + (BatchNormLayers.Contains(i) ? 2L * outputs : 0);
            channels = outputs;
        }
        var recurrent = new List<CrnnRecurrentLayer>();
        const int hidden = 256;
        foreach (var (inputs, outputs) in new[] { (channels, hidden), (hidden, DefaultAlphabet.Length + 1) })
        {
            float scale = 1f / MathF.Sqrt(hidden);
            var lstm = new[] { "", "_reverse" }.SelectMany(suffix => new[]
            {
                ("weight_ih_l0" + suffix, Values(4 * hidden * inputs, scale)), ("weight_hh_l0" + suffix, Values(4 * hidden * hidden, scale)),
                ("bias_ih_l0" + suffix, Values(4 * hidden, scale)), ("bias_hh_l0" + suffix, Values(4 * hidden, scale)),
            }).ToDictionary(p => p.Item1, p => (WeightValues)p.Item2, StringComparer.Ordinal);
            var layer = new CrnnRecurrentLayer(inputs, hidden, outputs, lstm, Values(outputs * 2 * hidden, scale), Values(outputs, scale));
            recurrent.Add(layer);
            parameters += lstm.Values.Sum(v => v.Length) + layer.LinearWeight.Length + layer.LinearBias.Length;
        }
        return new CrnnWeights(convolutions, recurrent, DefaultAlphabet, parameters, new CrnnInput(100, Symmetric: true));
    }

    /// <summary>Reads the weights; the alphabet comes from the <c>alphabet</c> metadata or is the default.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or misshapen, the alphabet does not
    /// match the classes, or the file holds tensors of no CRNN layer.</exception>
    public static CrnnWeights Load(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        float epsilon = weights.MetadataFloat("norm_eps", 1e-5f);
        long parameters = 0;
        var convolutions = new List<CrnnConvLayer>();
        int channels = 1;
        for (int i = 0; i < 7; i++)
        {
            string name = $"cnn.conv{i}.weight";
            var shape = weights.ShapeOf(name);
            int kernel = i == 6 ? 2 : 3;
            if (shape.Count != 4 || shape[1] != channels || shape[2] != kernel || shape[3] != kernel)
                throw weights.Error($"'{name}' has shape [{string.Join(", ", shape)}]; (O, {channels}, {kernel}, {kernel}) is needed");
            int outputs = checked((int)shape[0]);
            var kernelWeights = weights.Weights(name, outputs, channels, kernel, kernel);
            float[] bias = weights.Float($"cnn.conv{i}.bias", outputs);
            parameters += kernelWeights.Length + bias.Length;
            float[]? scale = null, shift = null;
            if (BatchNormLayers.Contains(i))
            {
                string bn = $"cnn.batchnorm{i}.";
                float[] gamma = weights.Float(bn + "weight", outputs), beta = weights.Float(bn + "bias", outputs);
                float[] mean = weights.Float(bn + "running_mean", outputs), variance = weights.Float(bn + "running_var", outputs);
                parameters += gamma.Length + beta.Length;
                scale = new float[outputs];
                shift = new float[outputs];
                for (int o = 0; o < outputs; o++)
                {
                    scale[o] = gamma[o] / MathF.Sqrt(variance[o] + epsilon);
                    shift[o] = beta[o] - mean[o] * scale[o];
                }
            }
            convolutions.Add(new CrnnConvLayer(channels, outputs, kernel, i == 6 ? 0 : 1, kernelWeights,
                new Conv2dEpilogue(bias, scale, shift, Ops.Activation.Relu), weights.Stored(name)));
            channels = outputs;
        }
        var recurrent = new List<CrnnRecurrentLayer>();
        int features = channels;
        for (int r = 0; r < 2; r++)
        {
            string prefix = $"rnn.{r}.";
            var ih = weights.ShapeOf(prefix + "rnn.weight_ih_l0");
            if (ih.Count != 2 || ih[1] != features || ih[0] % 4 != 0)
                throw weights.Error($"'{prefix}rnn.weight_ih_l0' has shape [{string.Join(", ", ih)}]; (4·hidden, {features}) is needed");
            int hidden = checked((int)ih[0] / 4);
            var lstm = new Dictionary<string, WeightValues>(StringComparer.Ordinal);
            foreach (string suffix in new[] { "", "_reverse" })
            {
                lstm["weight_ih_l0" + suffix] = weights.Weights($"{prefix}rnn.weight_ih_l0{suffix}", 4 * hidden, features);
                lstm["weight_hh_l0" + suffix] = weights.Weights($"{prefix}rnn.weight_hh_l0{suffix}", 4 * hidden, hidden);
                lstm["bias_ih_l0" + suffix] = weights.Float($"{prefix}rnn.bias_ih_l0{suffix}", 4 * hidden);
                lstm["bias_hh_l0" + suffix] = weights.Float($"{prefix}rnn.bias_hh_l0{suffix}", 4 * hidden);
            }
            var embedding = weights.ShapeOf(prefix + "embedding.weight");
            if (embedding.Count != 2 || embedding[1] != 2 * hidden)
                throw weights.Error($"'{prefix}embedding.weight' has shape [{string.Join(", ", embedding)}]; (outputs, {2 * hidden}) is needed");
            int outputs = checked((int)embedding[0]);
            var layer = new CrnnRecurrentLayer(features, hidden, outputs, lstm,
                weights.Weights(prefix + "embedding.weight", outputs, 2 * hidden), weights.Float(prefix + "embedding.bias", outputs),
                [weights.Stored(prefix + "rnn.weight_ih_l0"), weights.Stored(prefix + "rnn.weight_ih_l0_reverse")], weights.Stored(prefix + "embedding.weight"),
                [weights.Stored(prefix + "rnn.weight_hh_l0"), weights.Stored(prefix + "rnn.weight_hh_l0_reverse")]);
            parameters += lstm.Values.Sum(v => v.Length) + layer.LinearWeight.Length + layer.LinearBias.Length;
            recurrent.Add(layer);
            features = outputs;
        }
        string alphabet = weights.Metadata.TryGetValue("alphabet", out string? text) ? text : DefaultAlphabet;
        if (alphabet.Length + 1 != features)
            throw weights.Error($"the alphabet has {alphabet.Length} characters but the network {features} classes; classes must be the characters plus the blank");
        weights.RequireAllUsed($"CRNN of {features} classes");
        return new CrnnWeights(convolutions, recurrent, alphabet, parameters, CrnnInput.FromMetadata(weights));
    }
}
