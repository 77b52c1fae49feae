namespace Gpu.Models.Compression;

/// <summary>How one convolution or linear layer computes (for a linear layer, "im2col" below is a transpose of its rows).</summary>
public enum ConvRoute
{
    /// <summary>The dense convolution on the decoded float32 weights (<see cref="Gpu.Ops.Image.Conv2d"/>, Winograd or SIMD on the CPU).</summary>
    Dense,

    /// <summary>im2col, then the CSR product over the stored non-zeros of a pruned tensor.</summary>
    Sparse,

    /// <summary>im2col, then the codebook product over bit-packed centroid indices of a shared (or pruned and shared) tensor.</summary>
    Codebook,

    /// <summary>im2col, then the int8 product over an int8 tensor, the activations quantized per tensor on the fly.</summary>
    Int8,
}

/// <summary>Which routes the convolutions (and CRNN's LSTM input projections and linear layers) of a network built from a compressed model take.</summary>
public enum LayerRouting
{
    /// <summary>Every layer dense on the decoded weights: the reference the compressed routes are checked against.</summary>
    Dense,

    /// <summary>Each layer times its exact routes (dense, sparse, codebook: the same weights, so the
    /// same results up to float rounding) once when the network plans an image size, and keeps the
    /// fastest. Int8 is left out because it also quantizes the activations.</summary>
    Measured,

    /// <summary>The sparse route wherever the stored form is pruned; dense elsewhere.</summary>
    Sparse,

    /// <summary>The codebook route wherever the stored form is shared; dense elsewhere.</summary>
    Codebook,

    /// <summary>The int8 route wherever the stored form is int8; dense elsewhere.</summary>
    Int8,
}
