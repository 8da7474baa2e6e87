// The long fuzz campaign over the file readers (IDX, CIFAR-10, safetensors): the mutators of the unit fuzz tests,
// run for many cases; prints the count of each outcome per reader and the first few failures with their seeds.
// Run: dotnet run -c Release --project tools/fuzz -- --cases 200000 [--seed 1]
using System.Diagnostics;
using Cnn.Fuzz;

int cases = 200_000;
int seed = 1;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--cases") cases = int.Parse(args[i + 1]);
    else if (args[i] == "--seed") seed = int.Parse(args[i + 1]);
    else
    {
        Console.Error.WriteLine($"unknown option {args[i]}; usage: --cases N --seed S");
        return 2;
    }
}

var temp = Path.Combine(Path.GetTempPath(), $"cnn-fuzz-{Environment.ProcessId}.bin");
(string Name, Func<Random, FuzzResult> Run)[] readers =
[
    ("safetensors", ReaderMutators.SafeTensorsCase),
    ("idx", ReaderMutators.IdxCase),
    ("cifar10", r => ReaderMutators.CifarCase(r, temp)),
];
int failures = 0;
try
{
    foreach (var (name, run) in readers)
    {
        var counts = new Dictionary<Outcome, int>();
        var watch = Stopwatch.StartNew();
        long maxAllocatedPerByte = 0;
        for (int c = 0; c < cases; c++)
        {
            // Each case has its own seed: rerun one with --seed <case seed> --cases 1 under a debugger.
            int caseSeed = HashCode.Combine(seed, name, c);
            var result = run(new Random(caseSeed));
            counts[result.Outcome] = counts.GetValueOrDefault(result.Outcome) + 1;
            if (result.Length > 0) maxAllocatedPerByte = Math.Max(maxAllocatedPerByte, result.Allocated / result.Length);
            if (result.Outcome is Outcome.OtherException or Outcome.OverAllocated && ++failures <= 20)
                Console.WriteLine($"  {name} case {c} (seed {caseSeed}) {result.Outcome}: {result.Mutation}, {result.Length} bytes, allocated {result.Allocated}: {result.Error?.GetType().Name} {result.Error?.Message}");
        }
        var summary = string.Join(", ", Enum.GetValues<Outcome>().Select(o => $"{o} {counts.GetValueOrDefault(o)}"));
        Console.WriteLine($"{name,-12} {cases} cases in {watch.Elapsed.TotalSeconds:F1} s: {summary}; max allocated {maxAllocatedPerByte} bytes per input byte");
    }
}
finally
{
    File.Delete(temp);
}
Console.WriteLine(failures == 0 ? "no failures" : $"{failures} failures");
return failures == 0 ? 0 : 1;
