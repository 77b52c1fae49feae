namespace Gpu.Conformance;

/// <summary>Thrown by a case that does not apply to the device it runs on (a known gap, a feature
/// the device lacks): the test suite reports it as skipped with the reason, and so does
/// <c>gpuc selftest</c>.</summary>
/// <param name="reason">Why, and what is missing.</param>
public sealed class ConformanceSkippedException(string reason) : Exception(reason);
