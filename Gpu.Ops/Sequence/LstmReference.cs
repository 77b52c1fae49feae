namespace Gpu.Ops.Sequence;

/// <summary>The LSTM/LSTMP written out plainly from its equations, in double precision: the
/// reference the device paths are tested against.</summary>
public static class LstmReference
{
    /// <summary>Runs the network on the host.</summary>
    /// <param name="options">The network's shape.</param>
    /// <param name="weights">Weights by PyTorch name (see <see cref="LstmOptions.WeightNames"/>).</param>
    /// <param name="input">T × B × input size.</param>
    /// <param name="steps">Time steps T.</param>
    /// <param name="batch">Sequences B.</param>
    /// <param name="initialHidden">layers·directions × B × output size, or empty for zeros.</param>
    /// <param name="initialCell">layers·directions × B × n_c, or empty for zeros.</param>
    /// <returns>The last layer's output (T × B × directions·output size) and the final hidden and cell states.</returns>
    public static (float[] Output, float[] FinalHidden, float[] FinalCell) Run(LstmOptions options, IReadOnlyDictionary<string, float[]> weights,
        ReadOnlySpan<float> input, int steps, int batch, ReadOnlySpan<float> initialHidden = default, ReadOnlySpan<float> initialCell = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        options.Validate();
        int h = options.HiddenSize, r = options.OutputSize, directions = options.Directions;
        var finalHidden = new float[options.Layers * directions * batch * r];
        var finalCell = new float[options.Layers * directions * batch * h];
        float[] layerInput = input.ToArray();
        for (int layer = 0; layer < options.Layers; layer++)
        {
            int n = options.LayerInputSize(layer);
            var layerOutput = new float[steps * batch * directions * r];
            for (int direction = 0; direction < directions; direction++)
            {
                float[] Weight(string parameter, int length) => NamedWeights.Get(weights, LstmOptions.Name(parameter, layer, direction), length);
                var wih = Weight("weight_ih", 4 * h * n);
                var whh = Weight("weight_hh", 4 * h * r);
                var bih = Weight("bias_ih", 4 * h);
                var bhh = Weight("bias_hh", 4 * h);
                var whr = options.ProjectionSize > 0 ? Weight("weight_hr", r * h) : null;
                var (wic, wfc, woc) = options.Peepholes
                    ? (Weight("weight_ic", h), Weight("weight_fc", h), Weight("weight_oc", h))
                    : (new float[h], new float[h], new float[h]);
                int state = layer * directions + direction;
                for (int b = 0; b < batch; b++)
                {
                    var hidden = new double[r];
                    var cell = new double[h];
                    for (int j = 0; j < r && !initialHidden.IsEmpty; j++)
                        hidden[j] = initialHidden[(state * batch + b) * r + j];
                    for (int j = 0; j < h && !initialCell.IsEmpty; j++)
                        cell[j] = initialCell[(state * batch + b) * h + j];
                    for (int s = 0; s < steps; s++)
                    {
                        int t = direction == 0 ? s : steps - 1 - s;
                        var x = layerInput.AsSpan((t * batch + b) * n, n);
                        var z = new double[4 * h];
                        for (int row = 0; row < 4 * h; row++)
                        {
                            double sum = (double)bih[row] + bhh[row];
                            for (int i = 0; i < n; i++)
                                sum += (double)wih[row * n + i] * x[i];
                            for (int i = 0; i < r; i++)
                                sum += whh[row * r + i] * hidden[i];
                            z[row] = sum;
                        }
                        var m = new double[h];
                        for (int j = 0; j < h; j++)
                        {
                            double ig = Sigmoid(z[j] + wic[j] * cell[j]);
                            double fg = Sigmoid(z[h + j] + wfc[j] * cell[j]);
                            double gg = Math.Tanh(z[2 * h + j]);
                            cell[j] = fg * cell[j] + ig * gg;
                            m[j] = Sigmoid(z[3 * h + j] + woc[j] * cell[j]) * Math.Tanh(cell[j]);
                        }
                        for (int k = 0; k < r; k++)
                        {
                            double value = m[k];
                            if (whr is not null)
                            {
                                value = 0;
                                for (int j = 0; j < h; j++)
                                    value += whr[k * h + j] * m[j];
                            }
                            hidden[k] = value;
                            layerOutput[(t * batch + b) * directions * r + direction * r + k] = (float)value;
                        }
                    }
                    for (int j = 0; j < r; j++)
                        finalHidden[(state * batch + b) * r + j] = (float)hidden[j];
                    for (int j = 0; j < h; j++)
                        finalCell[(state * batch + b) * h + j] = (float)cell[j];
                }
            }
            layerInput = layerOutput;
        }
        return (layerInput, finalHidden, finalCell);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
