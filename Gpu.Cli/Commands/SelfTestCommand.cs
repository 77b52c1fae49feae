using System.CommandLine;
using System.Globalization;
using Gpu.Conformance;
using Gpu.Core;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc selftest</c>: the conformance suite on chosen devices, as a pass/fail table:
/// how a user checks a new GPU or driver.</summary>
internal static class SelfTestCommand
{
    public static Command Create()
    {
        var deviceOption = new Option<string[]>("--device", "-d")
        {
            Description = "Device(s) to test (cpu, opencl:N, cuda:N); default: every device.",
            AllowMultipleArgumentsPerToken = true,
        };
        var filterOption = new Option<string?>("--filter")
        {
            Description = "Only cases whose name contains this text.",
        };
        var command = new Command("selftest", "Run the conformance suite (kernels and ops) on devices and print a pass/fail table.");
        command.Options.Add(deviceOption);
        command.Options.Add(filterOption);
        command.SetAction(result => Run(AnsiConsole.Console, result.GetValue(deviceOption) ?? [], result.GetValue(filterOption)));
        return command;
    }

    private static int Run(IAnsiConsole console, string[] deviceNames, string? filter)
    {
        IReadOnlyList<Device> devices;
        try
        {
            devices = deviceNames.Length == 0 ? Devices.All : [.. deviceNames.Select(Devices.Get)];
        }
        catch (DeviceNotFoundException e)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }
        var cases = ConformanceSuite.All.Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        if (cases.Count == 0)
        {
            console.MarkupLineInterpolated($"[red]No conformance case matches '{filter}'.[/]");
            return 2;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumn("case");
        foreach (var device in devices)
            table.AddColumn(new TableColumn(Markup.Escape(device.Name)).RightAligned());
        var results = new Dictionary<(string Case, string Device), ConformanceResult>();
        var failures = new List<ConformanceResult>();
        var skips = new List<ConformanceResult>();
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            foreach (var result in ConformanceSuite.Run(accelerator, cases))
            {
                results[(result.Case, result.Device)] = result;
                if (result.Skipped)
                    skips.Add(result);
                else if (!result.Passed)
                    failures.Add(result);
            }
        }
        foreach (var conformanceCase in cases)
        {
            table.AddRow([Markup.Escape(conformanceCase.Name), .. devices.Select(d => results[(conformanceCase.Name, d.Name)] switch
                {
                    { Passed: true } r => $"[green]pass[/] {r.Milliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms",
                    { Skipped: true } => "[yellow]skip[/]",
                    _ => "[red]FAIL[/]",
                })]);
        }
        console.Write(table);
        foreach (var failure in failures)
            console.MarkupLineInterpolated($"[red]{failure.Device} {failure.Case}: {failure.Failure}[/]");
        foreach (var skip in skips)
            console.MarkupLineInterpolated($"[yellow]{skip.Device} {skip.Case} skipped: {skip.Failure}[/]");
        foreach (var backend in Devices.Backends.Where(b => b.UnavailableReason is not null))
            console.MarkupLineInterpolated($"[yellow]{backend.Backend}: not tested, no devices ({backend.UnavailableReason})[/]");
        int total = cases.Count * devices.Count;
        console.MarkupLineInterpolated($"{total - failures.Count - skips.Count} passed, {failures.Count} failed, {skips.Count} skipped (known gaps)");
        return failures.Count == 0 ? 0 : 1;
    }
}
