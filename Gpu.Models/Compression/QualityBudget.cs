using System.Globalization;

namespace Gpu.Models.Compression;

/// <summary>What a quality budget is counted in.</summary>
public enum BudgetUnit
{
    /// <summary>Decibels of PSNR an image model may lose on its task.</summary>
    Decibels,

    /// <summary>Percentage points of character error rate a text reader may gain.</summary>
    PercentagePoints,
}

/// <summary>How much quality compression may cost: <c>0.5dB</c> of PSNR for image models, <c>1%</c> (or <c>1pp</c>) of CER for CRNN.</summary>
/// <param name="Amount">The allowed loss, positive.</param>
/// <param name="Unit">What <paramref name="Amount"/> counts.</param>
public sealed record QualityBudget(double Amount, BudgetUnit Unit)
{
    /// <summary>Reads <c>0.5dB</c>, <c>0.5 dB</c>, <c>1%</c> or <c>1pp</c>.</summary>
    /// <exception cref="FormatException">Not a positive number followed by dB, % or pp.</exception>
    public static QualityBudget Parse(string text)
    {
        string trimmed = text.Trim();
        var (number, unit) = trimmed.EndsWith("db", StringComparison.OrdinalIgnoreCase) ? (trimmed[..^2], BudgetUnit.Decibels)
            : trimmed.EndsWith("pp", StringComparison.OrdinalIgnoreCase) ? (trimmed[..^2], BudgetUnit.PercentagePoints)
            : trimmed.EndsWith('%') ? (trimmed[..^1], BudgetUnit.PercentagePoints)
            : throw new FormatException($"budget '{text}': give a loss in dB (image models, e.g. 0.5dB) or in CER percentage points (CRNN, e.g. 1% or 1pp)");
        if (!double.TryParse(number.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) || !(amount > 0) || double.IsInfinity(amount))
            throw new FormatException($"budget '{text}': the amount must be a positive number");
        return new QualityBudget(amount, unit);
    }

    /// <summary>
    /// The least PSNR of the compressed model's outputs against the original's that keeps the task
    /// PSNR within this budget of <paramref name="taskPsnr"/> (the original's PSNR against its targets),
    /// when the compression error is uncorrelated with the original's own error so that the two
    /// mean squared errors add: MSE_c ≤ MSE_task·(10^(budget/10) − 1).
    /// </summary>
    public double FidelityFloor(double taskPsnr)
    {
        if (Unit != BudgetUnit.Decibels)
            throw new InvalidOperationException($"a budget in {Unit} sets no PSNR floor");
        return taskPsnr - 10 * Math.Log10(Math.Pow(10, Amount / 10) - 1);
    }

    /// <inheritdoc/>
    public override string ToString() => Amount.ToString(CultureInfo.InvariantCulture) + (Unit == BudgetUnit.Decibels ? " dB" : " pp CER");
}
