namespace Gpu.Bench;

/// <summary>The <c>--filter</c> of the command line: suites that support it measure only the cases
/// whose label contains the text (case-insensitive).</summary>
public static class BenchFilter
{
    /// <summary>The text, or null to measure everything.</summary>
    public static string? Text { get; set; }

    /// <summary>Whether a case of this label is measured.</summary>
    public static bool Matches(string label) => Text is null || label.Contains(Text, StringComparison.OrdinalIgnoreCase);
}
