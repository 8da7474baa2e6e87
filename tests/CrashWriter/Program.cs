// Writes checkpoint A to the path given, prints "ready", then rewrites the same path with a large checkpoint B
// (about 50 MB) over and over until the crash test kills the process mid-write.
// Usage: dotnet CrashWriter.dll PATH
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: CrashWriter PATH");
    return 2;
}
var path = args[0];
Checkpoint.Save(path, CrashCheckpoints.A(), ParamTree<Tensor>.Empty, new Dictionary<string, string> { ["which"] = "A" });
Console.WriteLine("ready");
Console.Out.Flush();
var b = CrashCheckpoints.B();
for (int i = 0; ; i++)
    Checkpoint.Save(path, b, ParamTree<Tensor>.Empty, new Dictionary<string, string> { ["which"] = "B", ["iteration"] = i.ToString() });
