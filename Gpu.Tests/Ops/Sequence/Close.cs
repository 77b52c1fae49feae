namespace Gpu.Tests.Ops.Sequence;

public static class Close
{
    /// <summary>Asserts |actual − expected| ≤ absolute + relative·|expected| element by element, naming the first miss.</summary>
    public static void Elementwise(float[] expected, float[] actual, float absolute, float relative, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = absolute + relative * MathF.Abs(expected[i]);
            if (!(MathF.Abs(actual[i] - expected[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance:G3})");
        }
    }
}
