namespace Gpu.Ops.Sequence;

/// <summary>The length checks the recurrent layers make of the views a forward pass is given.</summary>
internal static class SequenceViews
{
    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="expected"/> (or 0 for an optional view).</summary>
    /// <param name="layer">The layer's name in the message ("LSTM", "SRU").</param>
    /// <param name="what">The view's role.</param>
    /// <param name="actual">Its length.</param>
    /// <param name="expected">The length the pass needs.</param>
    /// <param name="optional">Whether an empty view means "none".</param>
    /// <exception cref="ArgumentException">The length is wrong.</exception>
    public static void Require(string layer, string what, long actual, long expected, bool optional = false)
    {
        if (actual != expected && !(optional && actual == 0))
            throw new ArgumentException($"{layer} {what} holds {actual} elements; {expected} expected.");
    }
}
