namespace Gpu.Conformance;

/// <summary>A case that is known not to pass on this device yet: the test suite reports it as
/// skipped with the reason, <c>gpuc selftest</c> as not passing.</summary>
/// <param name="reason">Why, and what is missing.</param>
public sealed class ConformanceSkippedException(string reason) : Exception(reason);
