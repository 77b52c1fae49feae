using Gpu.Core;

namespace Gpu.Ops;

/// <summary>An activation fixed by a type instead of a run-time <see cref="ActivationKind"/>: in a
/// kernel generic over it the kind is a constant, so the C compiler folds
/// <see cref="Activation.Apply(ActivationKind, float, float)"/>'s switch away. PoCL's vectoriser
/// gives up on any loop that contains a switch, and its loop over work items contains the kernel's
/// body (docs/opencl-engine.md, section 4).</summary>
public interface IActivationFunction
{
    /// <summary>The activation of <paramref name="x"/>, exactly as <see cref="Activation.Apply(ActivationKind, float, float)"/> computes it.</summary>
    /// <param name="slope">The LeakyReLU slope.</param>
    /// <param name="x">The input.</param>
    /// <returns>The activated value.</returns>
    float Apply(float slope, float x);
}

/// <summary><see cref="ActivationKind.Identity"/> as a type.</summary>
public struct IdentityFunction : IActivationFunction
{
    /// <inheritdoc/>
    public readonly float Apply(float slope, float x) => Activation.Apply(ActivationKind.Identity, slope, x);
}

/// <summary><see cref="ActivationKind.Relu"/> as a type.</summary>
public struct ReluFunction : IActivationFunction
{
    /// <inheritdoc/>
    public readonly float Apply(float slope, float x) => Activation.Apply(ActivationKind.Relu, slope, x);
}

/// <summary><see cref="ActivationKind.LeakyRelu"/> as a type.</summary>
public struct LeakyReluFunction : IActivationFunction
{
    /// <inheritdoc/>
    public readonly float Apply(float slope, float x) => Activation.Apply(ActivationKind.LeakyRelu, slope, x);
}

/// <summary><see cref="ActivationKind.Sigmoid"/> as a type.</summary>
public struct SigmoidFunction : IActivationFunction
{
    /// <inheritdoc/>
    public readonly float Apply(float slope, float x) => Activation.Apply(ActivationKind.Sigmoid, slope, x);
}

/// <summary><see cref="ActivationKind.Tanh"/> as a type.</summary>
public struct TanhFunction : IActivationFunction
{
    /// <inheritdoc/>
    public readonly float Apply(float slope, float x) => Activation.Apply(ActivationKind.Tanh, slope, x);
}

/// <summary>A launch that needs its activation as a type (see <see cref="IActivationFunction"/>).</summary>
internal interface IActivationSpecializedLaunch
{
    /// <summary>Launches the kernel specialised for <typeparamref name="TActivation"/>.</summary>
    void Launch<TActivation>(Accelerator accelerator) where TActivation : struct, IActivationFunction;
}

/// <summary>Turns a run-time <see cref="ActivationKind"/> into the type a specialised launch needs.</summary>
internal static class ActivationFunctions
{
    /// <summary>Runs <paramref name="launch"/> with the type of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The kind is not one of <see cref="ActivationKind"/>'s.</exception>
    public static void Launch<TLaunch>(Accelerator accelerator, ActivationKind kind, TLaunch launch) where TLaunch : IActivationSpecializedLaunch
    {
        switch (kind)
        {
            case ActivationKind.Identity: launch.Launch<IdentityFunction>(accelerator); break;
            case ActivationKind.Relu: launch.Launch<ReluFunction>(accelerator); break;
            case ActivationKind.LeakyRelu: launch.Launch<LeakyReluFunction>(accelerator); break;
            case ActivationKind.Sigmoid: launch.Launch<SigmoidFunction>(accelerator); break;
            case ActivationKind.Tanh: launch.Launch<TanhFunction>(accelerator); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation kind.");
        }
    }
}
