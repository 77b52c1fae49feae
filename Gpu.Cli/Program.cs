using System.CommandLine;
using Gpu.Cli.Commands;
using Spectre.Console;

// Output to a file or pipe is read later or by programs: tables as wide as their content, no colour codes.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 240;
    AnsiConsole.Profile.Capabilities.Ansi = false;
}

var root = new RootCommand("gpuc: run compressed and accelerated neural networks on CUDA, OpenCL and the CPU.");
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(SelfTestCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ConcatCommand.Create());
root.Subcommands.Add(CompressCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
return root.Parse(args).Invoke();
