using System.Buffers.Binary;
using System.Text;
using Gpu.Models;
using Gpu.Models.Crnn;
using Gpu.Models.Fip;
using Gpu.Models.Safetensors;
using Gpu.Models.Vdsr;

namespace Gpu.Tests.Models;

/// <summary>A corpus of malformed weight files, each made here from a valid fixture: every one is
/// refused with an <see cref="InvalidDataException"/> naming the file and the problem, never a
/// crash, a hang or a half-loaded model.</summary>
public sealed class MalformedWeightsTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("gpuc-weights").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private static string Fixture(string name) => Path.Combine(ModelFixture.Directory, name + ".safetensors");

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (byte[] Header, byte[] Data) Split(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (file[8..(8 + length)], file[(8 + length)..]);
    }

    private static byte[] Join(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    /// <summary>The CAN24 fixture with its header text edited.</summary>
    private string EditedCan24(string name, Func<string, string> edit)
    {
        var (header, data) = Split(File.ReadAllBytes(Fixture("can24")));
        string text = edit(Encoding.UTF8.GetString(header));
        return WriteBytes(name, Join(text, data));
    }

    private static void AssertRefused(Action load, params string[] reasons)
    {
        var error = Assert.Throws<InvalidDataException>(() => load())!;
        TestContext.Out.WriteLine(error.Message);
        foreach (string reason in reasons)
            Assert.That(error.Message, Does.Contain(reason));
    }

    private static void LoadCan(string path) => CanWeights.Load(ModelWeights.Read(path));

    [Test]
    public void ATruncatedFileIsRefused()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("can24"));
        string path = WriteBytes("truncated.safetensors", bytes[..(bytes.Length - 100)]);
        AssertRefused(() => LoadCan(path), "truncated.safetensors", "outside");
    }

    [Test]
    public void AHeaderLengthPastTheEndIsRefused()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("can24"));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        string path = WriteBytes("long-header.safetensors", bytes);
        AssertRefused(() => LoadCan(path), "does not fit");
    }

    [Test]
    public void ATwoGigabyteHeaderClaimIsRefusedWithoutReadingIt()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("can24"));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 2UL << 30);
        string path = WriteBytes("huge-header.safetensors", bytes);
        AssertRefused(() => LoadCan(path), "does not fit");
    }

    [Test]
    public void OverlappingOffsetsAreRefused()
    {
        // The second layer's entry pointed at the first layer's bytes (with a shape of that length).
        string path = EditedCan24("overlap.safetensors", text => System.Text.RegularExpressions.Regex.Replace(text,
            "\"layers\\.1\\.conv\\.weight\":\\{[^}]*\\}", "\"layers.1.conv.weight\":{\"dtype\":\"F32\",\"shape\":[24,3,3,3],\"data_offsets\":[0,2592]}"));
        AssertRefused(() => LoadCan(path), "overlap");
    }

    [Test]
    public void AWrongDtypeIsRefusedNamingTheTensor()
    {
        // Reading a float tensor's bytes as I32 keeps the byte length, so only the loader can tell.
        string path = EditedCan24("dtype.safetensors", text => ReplaceDtype(text, "output.bias", "F32", "I32"));
        AssertRefused(() => LoadCan(path), "'output.bias'", "I32", "F32, F16 or BF16");
    }

    [Test]
    public void AShapeMismatchIsRefusedNamingTheTensor()
    {
        string path = EditedCan24("shape.safetensors", text => text.Replace("\"layers.3.norm.bn.bias\":{\"dtype\":\"F32\",\"shape\":[24]", "\"layers.3.norm.bn.bias\":{\"dtype\":\"F32\",\"shape\":[4,6]"));
        AssertRefused(() => LoadCan(path), "'layers.3.norm.bn.bias'", "[4, 6]", "[24]");
    }

    [Test]
    public void AMissingTensorIsRefusedNamingIt()
    {
        var (tensors, metadata) = SafetensorsFile.Read(Fixture("can24"));
        string path = Path.Combine(directory, "missing.safetensors");
        SafetensorsFile.Write(path, tensors.Values.Where(t => t.Name != "layers.5.norm.mu"), metadata);
        AssertRefused(() => LoadCan(path), "'layers.5.norm.mu' is missing");
    }

    [Test]
    public void AnotherModelsFileIsRefusedNotHalfLoaded()
    {
        AssertRefused(() => VdsrWeights.Load(ModelWeights.Read(Fixture("can24"))), "input.weight");
        AssertRefused(() => CanWeights.Load(ModelWeights.Read(Fixture("vdsr_m2"))), "not a context aggregation network");
        AssertRefused(() => CrnnWeights.Load(ModelWeights.Read(Fixture("can24"))), "cnn.conv0.weight");
        var (tensors, metadata) = SafetensorsFile.Read(Fixture("can24"));
        string path = Path.Combine(directory, "extra.safetensors");
        SafetensorsFile.Write(path, [.. tensors.Values, SafetensorsFile.Tensor<float>("decoder.weight", [1f, 2f], 2)], metadata);
        AssertRefused(() => LoadCan(path), "belong to no layer", "decoder.weight");
    }

    [Test]
    public void DuplicateAndNonUtf8NamesAreRefused()
    {
        const string tensor = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        AssertRefused(() => SafetensorsFile.Parse(Join("{\"a\":" + tensor + ",\"a\":" + tensor + "}", new byte[4])), "named twice");
        byte[] invalid = Join("{\"a\":" + tensor + "}", new byte[4]);
        invalid[10] = 0xFF; // the name "a" becomes a lone invalid UTF-8 byte
        AssertRefused(() => SafetensorsFile.Parse(invalid), "UTF-8");
    }

    [Test]
    public void BadMetadataIsRefusedNamingTheKey()
    {
        string path = EditedCan24("meta.safetensors", text => text.Replace("\"dilations\":\"1,2,4,8,16,32,64,1\"", "\"dilations\":\"1,2,x\""));
        AssertRefused(() => LoadCan(path), "dilations", "1,2,x");
    }

    [TestCase("F16")]
    [TestCase("BF16")]
    public void HalfPrecisionWeightsWidenOnLoad(string dtype)
    {
        var (tensors, metadata) = SafetensorsFile.Read(Fixture("can24"));
        var narrowed = tensors.Values.Select(t => t.DType != SafetensorsDType.F32 ? t : Narrow(t, dtype)).ToList();
        string path = Path.Combine(directory, $"can24-{dtype}.safetensors");
        SafetensorsFile.Write(path, narrowed, metadata);
        var full = CanWeights.Load(ModelWeights.Read(Fixture("can24")));
        var half = CanWeights.Load(ModelWeights.Read(path));
        // F16 rounds to an 11-bit significand (half a unit), BF16 here truncates to 8 bits (one unit).
        double relative = dtype == "F16" ? 1.0 / 2048 : 1.0 / 128;
        float[] fullWeights = full.Layers[2].Weights.Values, halfWeights = half.Layers[2].Weights.Values;
        for (int i = 0; i < fullWeights.Length; i++)
            Assert.That(halfWeights[i], Is.EqualTo(fullWeights[i]).Within(Math.Abs(fullWeights[i]) * relative + 1e-7));
        Assert.That(half.Layers.Select(l => l.Weights.Values), Is.Not.EqualTo(full.Layers.Select(l => l.Weights.Values)), "the narrowed file must differ, or the test shows nothing");
    }

    private static SafetensorsTensor Narrow(SafetensorsTensor tensor, string dtype)
    {
        float[] values = tensor.ToArray<float>();
        return dtype == "F16"
            ? SafetensorsFile.Tensor<Half>(tensor.Name, [.. values.Select(v => (Half)v)], [.. tensor.Shape])
            : new SafetensorsTensor(tensor.Name, SafetensorsDType.BF16, tensor.Shape,
                values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16))).ToArray());
    }

    private static string ReplaceDtype(string header, string name, string from, string to)
        => header.Replace($"\"{name}\":{{\"dtype\":\"{from}\"", $"\"{name}\":{{\"dtype\":\"{to}\"");
}
