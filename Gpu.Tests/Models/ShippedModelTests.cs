using System.Text.Json;
using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Safetensors;
using Gpu.Models.Vdsr;

namespace Gpu.Tests.Models;

/// <summary>The trained models in samples/models load and reproduce PyTorch's outputs on crops of
/// the shipped samples (tools/reference/shipped_fixtures.py) on every device.</summary>
public sealed class ShippedModelTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Absolute error allowed per element against PyTorch's float64 run (as for the random-weight fixtures).</summary>
    private const double Tolerance = 2e-4;

    private static readonly (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Reference =
        SafetensorsFile.Read(Path.Combine(ModelFixture.Directory, "shipped.io.safetensors"));

    public static IEnumerable<string> Names()
        => JsonSerializer.Deserialize<string[]>(SafetensorsFile.Read(Path.Combine(ModelFixture.Directory, "shipped.io.safetensors")).Metadata["models"])!;

    private static string ShippedFile(string name) => Path.Combine(AppContext.BaseDirectory, "Shipped", name + ".safetensors");

    [Test]
    public void EveryShippedModelHasAReference()
    {
        var shipped = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Shipped"), "*.safetensors").Select(Path.GetFileNameWithoutExtension);
        Assert.That(Names(), Is.EquivalentTo(shipped), "re-run tools/reference/shipped_fixtures.py after changing samples/models");
    }

    [TestCaseSource(nameof(Names))]
    public void ShippedModelMatchesPyTorch(string name)
    {
        var weights = ModelWeights.Read(ShippedFile(name));
        float[] input = Reference.Tensors[name + "/input"].ToFloat32();
        var shape = Reference.Tensors[name + "/input"].Shape.Select(d => (int)d).ToArray();
        switch (ModelSummary.Recognize(weights))
        {
            case ModelArchitecture.Can:
            {
                using var network = new ContextAggregationNetwork(Accelerator, CanWeights.Load(weights));
                var image = new ImageShape(shape[0], shape[1], shape[2], shape[3]);
                using var x = Accelerator.Allocate<float>(input);
                using var y = Accelerator.Allocate<float>(image.WithChannels(network.Weights.Config.OutputChannels).Length);
                network.Forward(x.View, y.View, image, TensorLayout.RowMajor);
                ModelFixture.AssertClose(Reference.Tensors[name + "/output"].ToFloat32(), y.ToArray(), Tolerance, name);
                break;
            }
            case ModelArchitecture.Vdsr:
            {
                using var network = new VdsrNetwork(Accelerator, VdsrWeights.Load(weights));
                var image = new ImageShape(shape[0], shape[1], shape[2], shape[3]);
                using var x = Accelerator.Allocate<float>(input);
                using var y = Accelerator.Allocate<float>(image.Length * 4);
                network.Upscale(x.View, y.View, image, 2, TensorLayout.RowMajor);
                ModelFixture.AssertClose(Reference.Tensors[name + "/output_x2"].ToFloat32(), y.ToArray(), Tolerance, name);
                break;
            }
            default:
            {
                using var network = new CrnnNetwork(Accelerator, CrnnWeights.Load(weights));
                int width = shape[3];
                using var x = Accelerator.Allocate<float>(input);
                using var logits = Accelerator.Allocate<float>((long)CrnnNetwork.StepsFor(width) * network.Weights.Classes);
                network.Forward(x.View, 1, width, logits.View);
                ModelFixture.AssertClose(Reference.Tensors[name + "/logits"].ToFloat32(), logits.ToArray(), Tolerance, name);
                Assert.That(network.Recognize(x.View, 1, width), Is.EqualTo(new[] { Reference.Metadata[name + "/text"] }));
                break;
            }
        }
    }
}
