using System.Buffers.Binary;
using System.Text;
using Gpu.Models.Safetensors;

namespace Gpu.Tests.Models;

public sealed class SafetensorsFileTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("gpuc-safetensors").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    [Test]
    public void WriteThenReadRoundTripsEveryTensorAndTheMetadata()
    {
        string path = Path.Combine(directory, "round.safetensors");
        float[] weights = [1.5f, -2f, float.NaN, float.PositiveInfinity, 0f, 3.25f];
        int[] indices = [int.MinValue, 0, int.MaxValue];
        sbyte[] quantized = [-127, 0, 127, 5];
        SafetensorsFile.Write(path,
        [
            SafetensorsFile.Tensor<float>("layer.weight", weights, 2, 3),
            SafetensorsFile.Tensor<int>("indices", indices, 3),
            SafetensorsFile.Tensor<sbyte>("q", quantized, 2, 2),
        ], new Dictionary<string, string> { ["format"] = "test" });

        var (tensors, metadata) = SafetensorsFile.Read(path);

        Assert.That(tensors["layer.weight"].Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(tensors["layer.weight"].ToArray<float>(), Is.EqualTo(weights));
        Assert.That(tensors["indices"].ToArray<int>(), Is.EqualTo(indices));
        Assert.That(tensors["q"].DType, Is.EqualTo(SafetensorsDType.I8));
        Assert.That(tensors["q"].ToArray<sbyte>(), Is.EqualTo(quantized));
        Assert.That(metadata["format"], Is.EqualTo("test"));
        Assert.That(Directory.GetFiles(directory), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void ReadingAsTheWrongElementTypeIsRejected()
    {
        var tensor = SafetensorsFile.Tensor<float>("w", [1f], 1);
        Assert.That(() => tensor.ToArray<int>(), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("F32"));
    }

    private static byte[] FileWithHeader(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not valid JSON")]
    [TestCase("[1,2]", 0, "not a JSON object")]
    [TestCase("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unsupported dtype")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "outside")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "follow the last tensor")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "unused bytes")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0, "bad dimension")]
    [TestCase("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "needs a string dtype")]
    public void MalformedFilesAreRejectedWithTheReason(string header, int dataBytes, string reason)
        => Assert.That(() => SafetensorsFile.Parse(FileWithHeader(header, dataBytes)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains(reason));

    [Test]
    public void AHeaderLongerThanTheFileIsRejected()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1000);
        Assert.That(() => SafetensorsFile.Parse(file), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("does not fit"));
    }

    [Test]
    public void ATruncatedFileIsRejected()
        => Assert.That(() => SafetensorsFile.Parse(new byte[3]), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("too short"));
}
