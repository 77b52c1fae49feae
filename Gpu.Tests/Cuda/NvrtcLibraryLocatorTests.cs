using Gpu.Core.Cuda.Native;

namespace Gpu.Tests.Cuda;

public sealed class NvrtcLibraryLocatorTests
{
    private string root = "";

    [SetUp]
    public void CreateRoot() => root = Directory.CreateTempSubdirectory("gpuc-nvrtc-").FullName;

    [TearDown]
    public void DeleteRoot() => Directory.Delete(root, recursive: true);

    [Test]
    public void LinuxCandidatesGoByVersionThenPlace()
    {
        string toolkit = Path.Combine(root, "toolkit"), site = Path.Combine(root, "site");
        var candidates = NvrtcLibraryLocator.Candidates(new NvrtcSearch(false, toolkit, [site], DriverMajor: null)).ToList();

        Assert.That(candidates.Take(6), Is.EqualTo(new[]
        {
            "libnvrtc.so.13",
            Path.Combine(toolkit, "lib64", "libnvrtc.so.13"),
            Path.Combine("/usr/local/cuda", "lib64", "libnvrtc.so.13"),
            Path.Combine(site, "nvidia", "cu13", "lib", "libnvrtc.so.13"),
            Path.Combine(site, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.13"),
            "libnvrtc.so.12",
        }));
        Assert.That(candidates, Does.Contain(Path.Combine(site, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.11")));
        Assert.That(candidates.IndexOf("libnvrtc.so.11"), Is.GreaterThan(candidates.IndexOf("libnvrtc.so.12")));
        Assert.That(candidates.IndexOf("libnvrtc.so"), Is.GreaterThan(candidates.IndexOf(Path.Combine(site, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.11"))));
        Assert.That(candidates, Is.Unique);
    }

    [Test]
    public void MajorsTheDriverCanRunComeFirst()
    {
        Assert.That(NvrtcLibraryLocator.MajorsInPreferenceOrder(12), Is.EqualTo(new[] { 12, 11, 13 }));
        Assert.That(NvrtcLibraryLocator.MajorsInPreferenceOrder(13), Is.EqualTo(new[] { 13, 12, 11 }));
        Assert.That(NvrtcLibraryLocator.MajorsInPreferenceOrder(null), Is.EqualTo(new[] { 13, 12, 11 }));
        var candidates = NvrtcLibraryLocator.Candidates(new NvrtcSearch(false, null, [], DriverMajor: 12));
        Assert.That(candidates[0], Is.EqualTo("libnvrtc.so.12"));
    }

    [Test]
    public void WithoutCudaPathTheToolkitDefaultIsStillSearched()
    {
        var candidates = NvrtcLibraryLocator.Candidates(new NvrtcSearch(false, null, [], DriverMajor: null));
        Assert.That(candidates, Does.Contain(Path.Combine("/usr/local/cuda", "lib64", "libnvrtc.so.12")));
        Assert.That(candidates.Last(), Is.EqualTo(Path.Combine("/usr/local/cuda", "lib64", "libnvrtc.so")));
    }

    [Test]
    public void WindowsCandidatesListTheVersionedDllsFoundInTheToolkit()
    {
        string bin = Directory.CreateDirectory(Path.Combine(root, "toolkit", "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "nvrtc64_120_0.dll"), "");
        File.WriteAllText(Path.Combine(bin, "unrelated.dll"), "");
        var candidates = NvrtcLibraryLocator.Candidates(new NvrtcSearch(true, Path.Combine(root, "toolkit"), [], DriverMajor: null));
        Assert.That(candidates, Is.EqualTo(new[]
        {
            "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", Path.Combine(bin, "nvrtc64_120_0.dll"), "nvrtc64_110_0.dll",
        }));
    }

    [Test]
    public void SitePackagesComeFromPythonPathAndEnvironmentPrefixes()
    {
        string fromPath = Directory.CreateDirectory(Path.Combine(root, "on-path")).FullName;
        string missing = Path.Combine(root, "missing");
        string venv = Path.Combine(root, "venv");
        string venvSite = Directory.CreateDirectory(Path.Combine(venv, "lib", "python3.12", "site-packages")).FullName;
        string home = Path.Combine(root, "home");
        string userSite = Directory.CreateDirectory(Path.Combine(home, ".local", "lib", "python3.11", "site-packages")).FullName;
        var environment = new Dictionary<string, string>
        {
            ["PYTHONPATH"] = string.Join(Path.PathSeparator, fromPath, missing),
            ["VIRTUAL_ENV"] = venv,
        };

        var directories = NvrtcLibraryLocator.SitePackagesDirectories(name => environment.GetValueOrDefault(name), home);

        Assert.That(directories.Take(3), Is.EqualTo(new[] { fromPath, venvSite, userSite }));
        Assert.That(directories, Does.Not.Contain(missing));
    }
}
