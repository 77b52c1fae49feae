namespace Gpu.Ops.Sequence;

/// <summary>The shape of a simple recurrent unit (SRU) layer.</summary>
/// <param name="InputSize">n, features per step of the input.</param>
/// <param name="HiddenSize">d, features per step and direction of the output.</param>
/// <param name="Bidirectional">A second pass from the last step down; outputs concatenated.</param>
/// <param name="RecurrentWeights">The gates also see the previous cell through v_f, v_r (2018
/// version); without them v_f = v_r = 0 (2017 version).</param>
/// <param name="TanhActivation">g = tanh; otherwise g is the identity.</param>
public sealed record SruOptions(int InputSize, int HiddenSize, bool Bidirectional = false, bool RecurrentWeights = false, bool TanhActivation = true)
{
    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>k, the blocks of d columns the input GEMM produces per direction: U0 (candidate),
    /// U1 (forget), U2 (reset), and U3 (the highway projection of x) when n ≠ d.</summary>
    public int Blocks => InputSize == HiddenSize ? 3 : 4;

    /// <summary>Throws unless the sizes are positive and the combined weight (n × directions·k·d) fits
    /// one array indexed by int, as the layer stores it.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the weight would be too large.</exception>
    public void Validate()
    {
        if (InputSize <= 0 || HiddenSize <= 0)
            throw new ArgumentOutOfRangeException(InputSize <= 0 ? nameof(InputSize) : nameof(HiddenSize), $"SRU sizes must be positive, got input {InputSize}, hidden {HiddenSize}.");
        long weights = (long)InputSize * Directions * Blocks * HiddenSize;
        if (weights > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"An SRU of input {InputSize} and hidden {HiddenSize} needs {weights} weights (n·directions·k·d); at most {int.MaxValue} are supported.");
    }

    /// <summary>The weight names of one direction and their element counts. Names follow PyTorch's
    /// convention for the backward direction (suffix <c>_reverse</c>): <c>weight</c> (n × k·d,
    /// row-major, column blocks U0 | U1 | U2 [| U3]), <c>bias_f</c>, <c>bias_r</c> (d), and with
    /// recurrent weights <c>v_f</c>, <c>v_r</c> (d).</summary>
    /// <param name="direction">0 forward, 1 backward.</param>
    /// <returns>Name and element count of each tensor.</returns>
    public IEnumerable<(string Name, int Length)> WeightNames(int direction)
    {
        string suffix = direction == 1 ? "_reverse" : "";
        yield return ("weight" + suffix, InputSize * Blocks * HiddenSize);
        yield return ("bias_f" + suffix, HiddenSize);
        yield return ("bias_r" + suffix, HiddenSize);
        if (RecurrentWeights)
        {
            yield return ("v_f" + suffix, HiddenSize);
            yield return ("v_r" + suffix, HiddenSize);
        }
    }
}
