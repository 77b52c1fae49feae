using System.CommandLine;
using System.Globalization;
using Gpu.Core;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary><c>gpuc devices</c>: every device with the figures that size work on it, and why a
/// runtime found none.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List every CPU, OpenCL and CUDA device with its properties and estimated peaks.");
        command.SetAction(_ => Print(AnsiConsole.Console));
        return command;
    }

    private static int Print(IAnsiConsole console)
    {
        var devices = Devices.All;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("");
        foreach (var device in devices)
            table.AddColumn(new TableColumn($"[bold]{Markup.Escape(device.Name)}[/]"));
        void Row(string property, Func<Device, string> value)
            => table.AddRow([property, .. devices.Select(d => Markup.Escape(value(d)))]);
        Row("device", d => d.DisplayName);
        Row("engine", d => d.Engine.Name);
        Row("hardware", d => d.Hardware.ToString());
        Row("vendor", d => d.Vendor);
        Row("compute units", d => Format(d.ComputeUnits));
        Row("memory", d => FormatBytes(d.MemoryBytes));
        Row("max group size", d => Format(d.MaxGroupSize));
        Row("shared memory / group", d => FormatBytes(d.SharedMemoryPerGroup));
        Row("SIMD width (fp32 lanes)", d => Format(d.SimdWidth));
        Row("clock", d => d.ClockMHz > 0 ? $"{d.ClockMHz.ToString("F0", CultureInfo.InvariantCulture)} MHz" : "unknown");
        Row("peak fp32", d => $"{d.PeakGflops.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s");
        Row("peak bandwidth", d => $"{d.PeakGBps.ToString("F1", CultureInfo.InvariantCulture)} GB/s");
        console.Write(table);
        foreach (var device in devices)
        {
            console.MarkupLineInterpolated($"[grey]{device.Name}: {device.Engine.Name}, because {device.Engine.Reason}[/]");
            console.MarkupLineInterpolated($"[grey]{device.Name}: peaks from {device.PeakSource}[/]");
            if (device.ReadSensors() is { } sensors)
                console.MarkupLineInterpolated($"[grey]{device.Name}: now {sensors}[/]");
        }
        foreach (var backend in Devices.Backends.Where(b => b.UnavailableReason is not null))
            console.MarkupLineInterpolated($"[yellow]{backend.Backend}: no devices ({backend.UnavailableReason})[/]");
        string? chosen = Environment.GetEnvironmentVariable(Devices.DefaultDeviceVariable);
        try
        {
            console.MarkupLineInterpolated($"default device: [bold]{Devices.Default.Name}[/]{(chosen is null ? "" : $" (from {Devices.DefaultDeviceVariable})")}");
        }
        catch (DeviceNotFoundException e)
        {
            console.MarkupLineInterpolated($"[red]{Devices.DefaultDeviceVariable}: {e.Message}[/]");
            return 2;
        }
        return 0;
    }

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        _ => $"{bytes / 1024.0:F0} KiB",
    };
}
