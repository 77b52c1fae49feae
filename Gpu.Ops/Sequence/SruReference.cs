namespace Gpu.Ops.Sequence;

/// <summary>The SRU written out plainly from its equations, in double precision: the reference the
/// device paths are tested against.</summary>
public static class SruReference
{
    /// <summary>Runs the layer on the host.</summary>
    /// <param name="options">The layer's shape.</param>
    /// <param name="weights">Weights by name (see <see cref="SruOptions.WeightNames"/>).</param>
    /// <param name="input">steps × batch × n.</param>
    /// <param name="steps">Time steps T.</param>
    /// <param name="batch">Sequences B.</param>
    /// <param name="initialCell">directions × batch × d, or empty for zeros.</param>
    /// <returns>The output (T × B × directions·d) and the final cell (directions × B × d).</returns>
    public static (float[] Output, float[] FinalCell) Run(SruOptions options, IReadOnlyDictionary<string, float[]> weights,
        ReadOnlySpan<float> input, int steps, int batch, ReadOnlySpan<float> initialCell = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weights);
        int n = options.InputSize, d = options.HiddenSize, k = options.Blocks, directions = options.Directions;
        var output = new float[steps * batch * directions * d];
        var finalCell = new float[directions * batch * d];
        for (int direction = 0; direction < directions; direction++)
        {
            string suffix = direction == 1 ? "_reverse" : "";
            var w = NamedWeights.Get(weights, "weight" + suffix, n * k * d);
            var bf = NamedWeights.Get(weights, "bias_f" + suffix, d);
            var br = NamedWeights.Get(weights, "bias_r" + suffix, d);
            var vf = NamedWeights.GetOrZeros(weights, "v_f" + suffix, d, options.RecurrentWeights);
            var vr = NamedWeights.GetOrZeros(weights, "v_r" + suffix, d, options.RecurrentWeights);
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < d; j++)
                {
                    double c = initialCell.IsEmpty ? 0 : initialCell[(direction * batch + b) * d + j];
                    for (int s = 0; s < steps; s++)
                    {
                        int t = direction == 0 ? s : steps - 1 - s;
                        var x = input.Slice((t * batch + b) * n, n);
                        double f = Sigmoid(Projection(x, w, k * d, 1 * d + j) + vf[j] * c + bf[j]);
                        double r = Sigmoid(Projection(x, w, k * d, 2 * d + j) + vr[j] * c + br[j]);
                        c = f * c + (1 - f) * Projection(x, w, k * d, 0 * d + j);
                        double highway = k == 4 ? Projection(x, w, k * d, 3 * d + j) : x[j];
                        double g = options.TanhActivation ? Math.Tanh(c) : c;
                        output[(t * batch + b) * directions * d + direction * d + j] = (float)(r * g + (1 - r) * highway);
                    }
                    finalCell[(direction * batch + b) * d + j] = (float)c;
                }
        }
        return (output, finalCell);
    }

    /// <summary>Column <paramref name="column"/> of x·W, W having <paramref name="columns"/> columns.</summary>
    private static double Projection(ReadOnlySpan<float> x, float[] w, int columns, int column)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum += (double)x[i] * w[i * columns + column];
        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
