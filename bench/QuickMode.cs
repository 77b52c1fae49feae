namespace Gpu.Bench;

/// <summary>The <c>--quick</c> of the command line: every suite at small sizes with few timed runs,
/// a smoke check of the whole bench rather than figures to quote.</summary>
public static class QuickMode
{
    /// <summary>Whether <c>--quick</c> was given.</summary>
    public static bool Enabled { get; set; }

    /// <summary><paramref name="quick"/> under <c>--quick</c>, else <paramref name="full"/>.</summary>
    public static T Pick<T>(T full, T quick) => Enabled ? quick : full;
}
