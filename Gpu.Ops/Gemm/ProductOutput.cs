namespace Gpu.Ops.Gemm;

/// <summary>What a weight-times-activations product (sparse, codebook, int8) does with its output.</summary>
public enum ProductOutput
{
    /// <summary><c>Y = act(W·X + bias)</c>: Y's previous contents are not read (they may be garbage or NaN).</summary>
    Overwrite,

    /// <summary><c>Y = act(W·X + Y + bias)</c>: the product adds to Y, as an LSTM's recurrent term adds to
    /// gates already holding the input projection, with no extra buffer or pass.</summary>
    Accumulate,
}
