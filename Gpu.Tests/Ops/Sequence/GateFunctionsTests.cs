using Gpu.Ops.Sequence;

namespace Gpu.Tests.Ops.Sequence;

/// <summary>The call-free gate functions on the host against double-precision math.</summary>
public sealed class GateFunctionsTests
{
    /// <summary>Every 1/64 over the range where e^x is a normal float: within 2 ulp.</summary>
    [Test]
    public void ExpIsWithinTwoUlpOverTheNormalRange()
    {
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 1f / 64)
        {
            double exact = Math.Exp(x);
            double ulp = (double)MathF.BitIncrement((float)exact) - (float)exact;
            worst = Math.Max(worst, Math.Abs(ArithmeticGateFunctions.Exp(x) - exact) / ulp);
        }
        Assert.That(worst, Is.LessThanOrEqualTo(2.0));
    }

    [Test]
    public void ExpClampsTheArgumentAndKeepsNaN()
    {
        Assert.That(ArithmeticGateFunctions.Exp(-1000f), Is.InRange(0f, 2e-38f));
        Assert.That(ArithmeticGateFunctions.Exp(1000f), Is.EqualTo(ArithmeticGateFunctions.Exp(88.3f)).And.GreaterThan(1e38f));
        Assert.That(float.IsNaN(ArithmeticGateFunctions.Exp(float.NaN)));
    }

    /// <summary>Sigmoid and tanh from −60 to 60 (tanh's e^(−2|x|) reaches the clamp beyond 43.6) against
    /// double precision, to the absolute error the LSTM's tolerances leave room for.</summary>
    [Test]
    public void SigmoidAndTanhMatchDoublePrecision()
    {
        var gates = new ArithmeticGateFunctions();
        for (float x = -60f; x <= 60f; x += 1f / 128)
        {
            Assert.That(gates.Sigmoid(x), Is.EqualTo(1 / (1 + Math.Exp(-x))).Within(1.2e-7), $"sigmoid({x})");
            Assert.That(gates.Tanh(x), Is.EqualTo(Math.Tanh(x)).Within(1.2e-7), $"tanh({x})");
        }
    }
}
