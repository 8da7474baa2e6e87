#:project ../../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// Soak test: trains a small CNN for many steps and reports the process's working set and managed heap at
// intervals, to show that memory stays flat after warm-up (no growth from tapes, pools or caches).
//   dotnet run -c Release tools/soak/soak.cs -- [--steps 10000] [--every 500] [--batch 32]
using System.Diagnostics;
using Cnn.Autodiff;
using Cnn.Facade.Data;
using Cnn.Layers;

int steps = Get("--steps", 10_000), every = Get("--every", 500), batch = Get("--batch", 32);
var data = FashionMnist.Load(null);
var loader = new DataLoader(data.Train, batch, shuffle: true, dropLast: true, seed: 1);
var net = new Sequential(new Conv2d(1, 16, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 7 * 7, 10));
var p = net.Init(Rng.Seed(0));
var optimizer = new Adam(1e-3);
var state = optimizer.Init(p);

Console.WriteLine($"soak: {steps:N0} steps of batch {batch}, report every {every} steps");
Console.WriteLine($"{"step",7} {"loss",8} {"working set MB",15} {"managed heap MB",16} {"gen2 GCs",9} {"ms/step",8}");
var samples = new List<(int Step, double WorkingSetMb)>();
var clock = Stopwatch.StartNew();
int step = 0;
for (int epoch = 0; step < steps; epoch++)
{
    foreach (var (x, y) in loader.Epoch(epoch))
    {
        var (loss, grads) = Diff.ValueAndGrad(q => Op.CrossEntropy(net.Apply(q, x), y), p);
        (p, state) = optimizer.Step(p, grads, state);
        if (++step % every == 0 || step == steps)
        {
            using var self = Process.GetCurrentProcess();
            double ws = self.WorkingSet64 / 1048576.0, heap = GC.GetTotalMemory(false) / 1048576.0;
            samples.Add((step, ws));
            Console.WriteLine($"{step,7} {loss.ToScalar(),8:F4} {ws,15:F1} {heap,16:F1} {GC.CollectionCount(2),9} {clock.Elapsed.TotalMilliseconds / step,8:F2}");
        }
        if (step == steps) break;
    }
}

// Flat means: after the first fifth (warm-up), the working set's last reading is within 10% of the median.
var after = samples.Where(s => s.Step > steps / 5).Select(s => s.WorkingSetMb).Order().ToArray();
double median = after[after.Length / 2], last = samples[^1].WorkingSetMb, max = after.Max(), min = after.Min();
Console.WriteLine($"after warm-up: working set min {min:F1} MB, median {median:F1} MB, max {max:F1} MB, last {last:F1} MB");
bool flat = last <= 1.10 * median;
Console.WriteLine(flat ? "working set is flat after warm-up" : "WORKING SET GREW after warm-up");
return flat ? 0 : 1;

int Get(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
