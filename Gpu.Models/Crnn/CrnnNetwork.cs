using Gpu.Core;
using Gpu.Models.Compression;
using Gpu.Ops.Image;
using Gpu.Ops.Sequence;
using ILGPU;

namespace Gpu.Models.Crnn;

/// <summary>CRNN text recognition on one accelerator: the conv stack (batch norms folded, ReLU in
/// each epilogue) on N × 1 × 32 × W grayscale lines, the one-row feature map turned into a
/// sequence of T = W/4 + 1 steps, BiLSTM → linear → BiLSTM → linear, log-softmax and CTC greedy
/// decoding. From a compressed model, each convolution (<see cref="RoutedConv2d"/>), each LSTM
/// direction's input projection and recurrent product, and each linear layer (<see cref="RoutedLinear"/>)
/// runs the route its <see cref="LayerRouting"/> picks. Layers and
/// buffers are planned for one (N, W) and re-planned when it changes. Not safe for concurrent calls.</summary>
public sealed class CrnnNetwork : IDisposable
{
    /// <summary>The input height the conv stack reduces to one row.</summary>
    public const int Height = 32;

    private readonly Accelerator accelerator;
    private readonly Lstm[] lstms;
    private readonly RoutedLinear[][] inputProjections;
    private readonly RoutedLinear[][] recurrentProducts;
    private readonly RoutedLinear[] linears;
    private readonly ConvScratch scratch;
    private Plan? plan;
    private bool disposed;

    /// <summary>Uploads the weights; with a measured routing, each LSTM input projection, recurrent product
    /// and linear layer stored compressed is timed on its routes here.</summary>
    /// <param name="accelerator">Where it runs.</param>
    /// <param name="weights">The weights.</param>
    /// <param name="routing">Which route each convolution, LSTM product and linear layer takes
    /// where the weights came from a compressed model; dense by default.</param>
    /// <exception cref="InvalidDataException">A stored payload is corrupt.</exception>
    public CrnnNetwork(Accelerator accelerator, CrnnWeights weights, LayerRouting routing = LayerRouting.Dense)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(weights);
        if (!Enum.IsDefined(routing))
            throw new ArgumentOutOfRangeException(nameof(routing), routing, "Unknown layer routing.");
        this.accelerator = accelerator;
        Weights = weights;
        Routing = routing;
        Layout = Conv2d.PreferredLayout(accelerator);
        var recurrent = weights.Recurrent;
        lstms = new Lstm[recurrent.Count];
        inputProjections = new RoutedLinear[recurrent.Count][];
        recurrentProducts = new RoutedLinear[recurrent.Count][];
        linears = new RoutedLinear[recurrent.Count];
        scratch = new ConvScratch(accelerator);
        try
        {
            for (int i = 0; i < recurrent.Count; i++)
            {
                var layer = recurrent[i];
                int gates = 4 * layer.HiddenSize;
                // Filled one direction at a time, so a failure leaves what was built for Dispose.
                inputProjections[i] = new RoutedLinear[2];
                recurrentProducts[i] = new RoutedLinear[2];
                foreach (var (suffix, direction) in new[] { ("", 0), ("_reverse", 1) })
                {
                    inputProjections[i][direction] = new RoutedLinear(accelerator, new LinearShape(layer.InputSize, gates), layer.Lstm["weight_ih_l0" + suffix],
                        [.. layer.Lstm["bias_ih_l0" + suffix].Values.Zip(layer.Lstm["bias_hh_l0" + suffix].Values, (a, b) => a + b)], layer.StoredInputWeight(direction), routing, scratch);
                    recurrentProducts[i][direction] = RoutedLinear.Recurrent(accelerator, new LinearShape(layer.HiddenSize, gates), layer.Lstm["weight_hh_l0" + suffix],
                        layer.StoredRecurrentWeight(direction), routing, scratch);
                }
                // The products above own weight_ih and weight_hh, so the LSTM is given only the biases.
                var biases = layer.Lstm.Where(p => p.Key.StartsWith("bias", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value.Values, StringComparer.Ordinal);
                lstms[i] = new Lstm(accelerator, new LstmOptions(layer.InputSize, layer.HiddenSize, Bidirectional: true), biases, inputProjections[i], recurrentProducts[i]);
                linears[i] = new RoutedLinear(accelerator, new LinearShape(2 * layer.HiddenSize, layer.OutputSize), layer.LinearWeight, layer.LinearBias,
                    layer.StoredLinearWeight, routing, scratch);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The weights.</summary>
    public CrnnWeights Weights { get; }

    /// <summary>Which route each compressed layer takes.</summary>
    public LayerRouting Routing { get; }

    /// <summary>The convolutions of the current plan (the last batch and width run), with the route
    /// each took; empty before the first run.</summary>
    public IReadOnlyList<RoutedConv2d> Convolutions => plan?.Convolutions ?? [];

    /// <summary>The linear products of the recurrent layers with the route each took: per BiLSTM layer
    /// its forward and reverse input projections, its forward and reverse recurrent products, then the linear layer after it.</summary>
    public IReadOnlyList<RoutedLinear> Linears
        => [.. inputProjections.Zip(recurrentProducts, linears).SelectMany(layer => layer.First.Concat(layer.Second).Append(layer.Third))];

    /// <summary>The layout the conv stack runs in.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Time steps the network makes of lines <paramref name="width"/> pixels wide.</summary>
    public static int StepsFor(int width) => width / 2 / 2 + 1;

    /// <summary>Runs the network up to the logits: <paramref name="images"/> N × 1 × 32 × W (one channel:
    /// the same in every layout), <paramref name="logits"/> T × N × classes, time-major.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive, the width is under 4, or a view has the wrong length.</exception>
    public void Forward(ArrayView<float> images, int batch, int width, ArrayView<float> logits)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var current = Check(images, batch, width);
        int steps = StepsFor(width);
        long expected = (long)steps * batch * Weights.Classes;
        if (logits.Length != expected)
            throw new ArgumentException($"Logits of {steps} steps × {batch} lines × {Weights.Classes} classes need {expected} elements; got {logits.Length}.", nameof(logits));
        // Each step writes the activation buffer its input is not in.
        var x = images;
        int next = 0;
        for (int i = 0; i < current.Convolutions.Length; i++)
        {
            var convolution = current.Convolutions[i];
            var y = current.Activation(next, convolution.Shape.OutputLength);
            convolution.Forward(x, y, Layout);
            (x, next) = (y, 1 - next);
            if (current.Pools[i] is { } pool)
            {
                var pooled = current.Activation(next, pool.OutputLength);
                MaxPool2d.Forward(accelerator, pool, x, pooled, Layout);
                (x, next) = (pooled, 1 - next);
            }
        }
        int features = Weights.Convolutions[^1].OutChannels;
        var sequence = current.Sequence(0, (long)steps * batch * features);
        ImageLayoutConversion.ToTimeMajor(accelerator, x, Layout, sequence, batch, features, steps);
        for (int i = 0; i < lstms.Length; i++)
        {
            var layer = Weights.Recurrent[i];
            var recurrentOutput = current.Sequence(1, (long)steps * batch * 2 * layer.HiddenSize);
            lstms[i].Forward(sequence, steps, batch, recurrentOutput);
            var linearOutput = i == lstms.Length - 1 ? logits : current.Sequence(0, (long)steps * batch * layer.OutputSize);
            linears[i].Multiply(recurrentOutput, linearOutput, steps * batch);
            sequence = linearOutput;
        }
    }

    /// <summary>Reads each line: <see cref="Forward"/>, log-softmax, CTC greedy decoding, labels to characters.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive, the width is under 4, or the view has the wrong length.</exception>
    public string[] Recognize(ArrayView<float> images, int batch, int width)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var current = Check(images, batch, width);
        int steps = StepsFor(width), classes = Weights.Classes;
        var (logits, logProbabilities) = current.Scores((long)steps * batch * classes);
        Forward(images, batch, width, logits.View);
        Softmax.Forward(accelerator, logits.View, logProbabilities.View, steps * batch, classes, logarithm: true);
        return [.. CtcGreedy.Decode(accelerator, logProbabilities.View, steps, batch, classes).Select(Text)];
    }

    /// <summary>The characters of CTC labels (1… index the alphabet).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is the blank or past the alphabet.</exception>
    public string Text(IEnumerable<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return string.Concat(labels.Select(label => label >= 1 && label <= Weights.Alphabet.Length
            ? Weights.Alphabet[label - 1]
            : throw new ArgumentOutOfRangeException(nameof(labels), label, $"Labels run from 1 to {Weights.Alphabet.Length}.")));
    }

    private Plan Check(ArrayView<float> images, int batch, int width)
    {
        if (batch <= 0 || width < 4)
            throw new ArgumentOutOfRangeException(nameof(width), $"CRNN needs a positive batch and lines at least 4 pixels wide; got {batch} lines of {width}.");
        long expected = (long)batch * Height * width;
        if (images.Length != expected)
            throw new ArgumentException($"{batch} lines of {Height}×{width} hold {expected} elements; got {images.Length}.", nameof(images));
        if (plan is null || plan.Batch != batch || plan.Width != width)
        {
            plan?.Dispose();
            plan = null;
            plan = new Plan(accelerator, Weights, batch, width, Routing, Layout, scratch);
        }
        return plan;
    }

    /// <summary>Frees the weights, layers and buffers.</summary>
    public void Dispose()
    {
        disposed = true;
        plan?.Dispose();
        plan = null;
        foreach (var resource in lstms.Concat<IDisposable?>(linears).Concat(inputProjections.SelectMany(p => p ?? [])).Concat(recurrentProducts.SelectMany(p => p ?? [])))
            resource?.Dispose();
        scratch.Dispose();
    }

    /// <summary>Convolutions, pools and buffers for N lines of width W; with a measured routing the
    /// compressed convolutions are timed for this size when it is planned.</summary>
    private sealed class Plan : OwnedResources
    {
        private readonly DeviceBuffer<float>[] activations = new DeviceBuffer<float>[2], sequences = new DeviceBuffer<float>[2];
        private (DeviceBuffer<float> Logits, DeviceBuffer<float> LogProbabilities)? scores;
        private readonly Accelerator accelerator;

        public Plan(Accelerator accelerator, CrnnWeights weights, int batch, int width, LayerRouting routing, TensorLayout layout, ConvScratch scratch)
        {
            this.accelerator = accelerator;
            Batch = batch;
            Width = width;
            var convolutions = new List<RoutedConv2d>();
            var pools = new List<MaxPool2dShape?>();
            int height = Height;
            long largest = 0;
            try
            {
                foreach (var (layer, i) in weights.Convolutions.Select((layer, i) => (layer, i)))
                {
                    var shape = new Conv2dShape(batch, layer.InChannels, height, width, layer.OutChannels, layer.KernelSize, layer.KernelSize, 1, 1,
                        Padding2d.Symmetric(layer.Padding));
                    convolutions.Add(Own(new RoutedConv2d(accelerator, shape, layer.Weights, layer.Epilogue, layer.Stored, routing, layout, scratch)));
                    (height, width) = (shape.OutHeight, shape.OutWidth);
                    largest = Math.Max(largest, shape.OutputLength);
                    MaxPool2dShape? pool = i switch
                    {
                        0 or 1 => new MaxPool2dShape(batch, layer.OutChannels, height, width, 2, 2, 2, 2, Padding2d.Symmetric(0)),
                        3 or 5 => new MaxPool2dShape(batch, layer.OutChannels, height, width, 2, 2, 2, 1, Padding2d.Of(0, 1)),
                        _ => null,
                    };
                    if (pool is { } p)
                    {
                        p.Validate();
                        (height, width) = (p.OutHeight, p.OutWidth);
                        largest = Math.Max(largest, p.OutputLength);
                    }
                    pools.Add(pool);
                }
                if (height != 1)
                    throw new InvalidOperationException($"The conv stack left {height} rows; CRNN needs it to reduce {Height} to 1.");
                Convolutions = [.. convolutions];
                Pools = [.. pools];
                activations[0] = Own(accelerator.Allocate<float>(largest));
                activations[1] = Own(accelerator.Allocate<float>(largest));
                long steps = width, widest = Math.Max(weights.Convolutions[^1].OutChannels, weights.Recurrent.Max(r => Math.Max(2 * r.HiddenSize, r.OutputSize)));
                sequences[0] = Own(accelerator.Allocate<float>(steps * batch * widest));
                sequences[1] = Own(accelerator.Allocate<float>(steps * batch * widest));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int Batch { get; }

        public int Width { get; }

        public RoutedConv2d[] Convolutions { get; } = [];

        public MaxPool2dShape?[] Pools { get; } = [];

        /// <summary>The first <paramref name="length"/> elements of activation buffer <paramref name="index"/>.</summary>
        public ArrayView<float> Activation(int index, long length) => activations[index].View.SubView(0, length);

        /// <summary>The first <paramref name="length"/> elements of sequence buffer <paramref name="index"/>.</summary>
        public ArrayView<float> Sequence(int index, long length) => sequences[index].View.SubView(0, length);

        /// <summary>Logits and log-probabilities for <see cref="Recognize"/>, made on first use.</summary>
        public (DeviceBuffer<float> Logits, DeviceBuffer<float> LogProbabilities) Scores(long length)
        {
            scores ??= (Own(accelerator.Allocate<float>(length)), Own(accelerator.Allocate<float>(length)));
            return scores.Value;
        }
    }
}
