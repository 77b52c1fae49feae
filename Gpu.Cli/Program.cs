using System.CommandLine;
using Gpu.Cli.Commands;

var root = new RootCommand("gpuc: run compressed and accelerated neural networks on CUDA, OpenCL and the CPU.");
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(SelfTestCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ConcatCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
return root.Parse(args).Invoke();
