namespace Gpu.Models;

/// <summary>Device resources a model's plan owns and frees together; a constructor that fails
/// half-way frees what it already made.</summary>
internal class OwnedResources : IDisposable
{
    private readonly List<IDisposable> owned = [];

    /// <summary>Takes ownership of <paramref name="resource"/>.</summary>
    protected T Own<T>(T resource) where T : IDisposable
    {
        owned.Add(resource);
        return resource;
    }

    /// <summary>Frees one owned resource before the rest.</summary>
    protected void Free(IDisposable resource)
    {
        if (owned.Remove(resource))
            resource.Dispose();
    }

    /// <summary>Frees every owned resource, newest first.</summary>
    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--)
            owned[i].Dispose();
        owned.Clear();
    }
}
