namespace Gpu.Ops.Sequence;

/// <summary>The shape of a (possibly stacked, bidirectional, projected) LSTM, as PyTorch's
/// <c>nn.LSTM(input_size, hidden_size, num_layers, bidirectional, proj_size)</c> with the input
/// time-major (<c>batch_first=False</c>).</summary>
/// <param name="InputSize">Features per step of the input.</param>
/// <param name="HiddenSize">n_c, cells per layer and direction.</param>
/// <param name="ProjectionSize">n_r, the recurrent projection (LSTMP); 0 for a plain LSTM.</param>
/// <param name="Layers">Stacked layers; each takes the previous one's output.</param>
/// <param name="Bidirectional">A second pass from the last step down, outputs concatenated.</param>
/// <param name="Peepholes">Diagonal peepholes w_ic, w_fc, w_oc (named <c>weight_ic_l0</c> …;
/// PyTorch has none).</param>
public sealed record LstmOptions(int InputSize, int HiddenSize, int ProjectionSize = 0, int Layers = 1, bool Bidirectional = false, bool Peepholes = false)
{
    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Features per step and direction of the output: n_r with a projection, else n_c.</summary>
    public int OutputSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>Features per step of a layer's input.</summary>
    /// <param name="layer">The layer, from 0.</param>
    /// <returns>The input size for layer 0, else directions × output size.</returns>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : Directions * OutputSize;

    /// <summary>Throws unless the sizes make sense.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the projection is not smaller than the cells.</exception>
    public void Validate()
    {
        if (InputSize <= 0 || HiddenSize <= 0 || Layers <= 0 || ProjectionSize < 0)
            throw new ArgumentException($"LSTM sizes must be positive, got input {InputSize}, hidden {HiddenSize}, layers {Layers}, projection {ProjectionSize}.");
        if (ProjectionSize >= HiddenSize)
            throw new ArgumentException($"The projection ({ProjectionSize}) must be smaller than the cells ({HiddenSize}), as in PyTorch.");
        // Each weight is one array indexed by int; the widest input is layer 0's or a later layer's.
        long widest = Math.Max(InputSize, Math.Max(OutputSize, (long)Directions * OutputSize));
        long largest = 4L * HiddenSize * widest;
        if (largest > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"An LSTM of input {InputSize}, hidden {HiddenSize}, output {OutputSize} has a weight of 4·hidden·{widest} = {largest} elements; at most {int.MaxValue} are supported.");
    }

    /// <summary>PyTorch's name of a parameter of one layer and direction, e.g. <c>weight_hh_l1_reverse</c>.</summary>
    /// <param name="parameter">weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, weight_ic, weight_fc or weight_oc.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="direction">0 forward, 1 backward.</param>
    /// <returns>The full name.</returns>
    public static string Name(string parameter, int layer, int direction) => $"{parameter}_l{layer}{(direction == 1 ? "_reverse" : "")}";

    /// <summary>Every parameter of one layer and direction with its element count, in PyTorch's
    /// layout: weight_ih 4n_c × in, weight_hh 4n_c × out, bias_ih and bias_hh 4n_c (gate blocks
    /// i, f, g, o), weight_hr n_r × n_c with a projection, peepholes n_c each.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="direction">0 forward, 1 backward.</param>
    /// <returns>Names and element counts.</returns>
    public IEnumerable<(string Name, int Length)> WeightNames(int layer, int direction)
    {
        int gates = 4 * HiddenSize;
        yield return (Name("weight_ih", layer, direction), gates * LayerInputSize(layer));
        yield return (Name("weight_hh", layer, direction), gates * OutputSize);
        yield return (Name("bias_ih", layer, direction), gates);
        yield return (Name("bias_hh", layer, direction), gates);
        if (ProjectionSize > 0)
            yield return (Name("weight_hr", layer, direction), ProjectionSize * HiddenSize);
        if (Peepholes)
            foreach (string peephole in (string[])["weight_ic", "weight_fc", "weight_oc"])
                yield return (Name(peephole, layer, direction), HiddenSize);
    }
}
