namespace Gpu.Models.Compression;

/// <summary>The widths of a linear layer: <c>y = x·Wᵀ + bias</c> with W of Outputs × Inputs, as PyTorch stores it.</summary>
/// <param name="Inputs">Features in (K, W's columns).</param>
/// <param name="Outputs">Features out (M, W's rows).</param>
public readonly record struct LinearShape(int Inputs, int Outputs)
{
    /// <summary>Elements of the weight.</summary>
    public long WeightLength => (long)Inputs * Outputs;

    /// <summary>Throws unless both widths are positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public void Validate()
    {
        if (Inputs <= 0 || Outputs <= 0)
            throw new ArgumentOutOfRangeException(nameof(Inputs), $"A linear layer needs positive widths; got {Inputs} in, {Outputs} out.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"linear {Inputs} → {Outputs}";
}
