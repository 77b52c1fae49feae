using Gpu.Core.Compiler;
using Gpu.Models.Safetensors;

namespace Gpu.Tests.Ops.Sequence;

/// <summary>A PyTorch reference case written by tools/reference/sequence_ops.py.</summary>
public sealed class SequenceFixture
{
    private readonly IReadOnlyDictionary<string, SafetensorsTensor> tensors;
    private readonly IReadOnlyDictionary<string, string> metadata;

    private SequenceFixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sequence", name + ".safetensors");
        (tensors, metadata) = SafetensorsFile.Read(path);
    }

    public static SequenceFixture Load(string name) => new(name);

    public float[] Floats(string name) => tensors[name].ToArray<float>();

    public int[] Ints(string name) => tensors[name].ToArray<int>();

    public IReadOnlyList<long> Shape(string name) => tensors[name].Shape;

    public bool Has(string name) => tensors.ContainsKey(name);

    public int Int(string key) => int.Parse(metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public string Text(string key) => metadata[key];

    /// <summary>Every float tensor whose name is not one of <paramref name="excluded"/>: the weights by their names.</summary>
    public Dictionary<string, float[]> Weights(params string[] excluded)
        => tensors.Values.Where(t => !excluded.Contains(t.Name)).ToDictionary(t => t.Name, t => t.ToArray<float>());
}

/// <summary>Device tests of the sequence ops. Until the kernel compiler can translate a kernel, a
/// translated device reports the test ignored with the compiler's reason instead of failing.</summary>
public abstract class SequenceDeviceTest(string deviceName) : DeviceTest(deviceName)
{
    protected void OnDevice(Action body)
    {
        try
        {
            body();
        }
        catch (KernelCompilationException e) when (!Gpu.Core.HostViews.IsHostAddressable(Accelerator))
        {
            Assert.Ignore($"{DeviceName} cannot run this kernel yet: {e.Message}");
        }
    }
}

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
