#:project ../src/Cnn.Autodiff/Cnn.Autodiff.csproj
#:property PublishAot=false
// Trains a small CNN on a synthetic image task with nothing but the autodiff core:
// ops composed into a network, Diff.ValueAndGrad for the gradients, and plain SGD.
// Task: 12x12 noisy images holding a vertical bar, a horizontal bar or a diagonal; say which.
// Run: dotnet run examples/tiny-cnn.cs [-- --max-steps N]   (300 steps by default)
using System.Diagnostics;
using Cnn.Autodiff;

int at = Array.IndexOf(args, "--max-steps");
int steps = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1]) : 300;
const int Size = 12, Classes = 3, Batch = 32;
var rng = Rng.Seed(42);

// One image: a bar of the class's orientation at a random place, plus Gaussian noise.
(Tensor Images, int[] Labels) MakeBatch(Rng key, int n)
{
    var pixels = new float[n * Size * Size];
    var labels = new int[n];
    for (int i = 0; i < n; i++)
    {
        int label = key.Int(3 * i, Classes), pos = 2 + key.Int(3 * i + 1, Size - 4);
        labels[i] = label;
        for (int r = 0; r < Size; r++)
            for (int c = 0; c < Size; c++)
            {
                bool on = label switch { 0 => c == pos, 1 => r == pos, _ => r == c };
                pixels[(i * Size + r) * Size + c] = (on ? 1f : 0f) + 0.3f * (float)key.Normal(1_000_000 + (i * Size + r) * Size + c);
            }
    }
    return (Tensor.FromArray(pixels, [n, 1, Size, Size]), labels);
}

// Parameters: conv 1->8 k3, conv 8->16 k3, linear 16->3; Kaiming-uniform-like scaling.
Tensor Init(Rng key, Shape shape, int fanIn) => Tensor.RandomUniform(key, shape, -Math.Sqrt(6.0 / fanIn), Math.Sqrt(6.0 / fanIn));
var keys = rng.Split(4);
var p = ParamTree.Of(
    ("conv1.weight", Init(keys[0], [8, 1, 3, 3], 9)), ("conv1.bias", Tensor.Zeros([8])),
    ("conv2.weight", Init(keys[1], [16, 8, 3, 3], 72)), ("conv2.bias", Tensor.Zeros([16])),
    ("fc.weight", Init(keys[2], [Classes, 16], 16)), ("fc.bias", Tensor.Zeros([Classes])));

Var Forward(ParamTree<Var> q, Var x)
{
    var h = Op.Relu(Op.Conv2d(x, q["conv1.weight"], q["conv1.bias"], padding: 1));
    h = Op.MaxPool2d(h, 2);
    h = Op.Relu(Op.Conv2d(h, q["conv2.weight"], q["conv2.bias"], padding: 1));
    return Op.Linear(Op.GlobalAvgPool2d(h), q["fc.weight"], q["fc.bias"]);
}

double Accuracy(ParamTree<Tensor> q, Tensor images, int[] labels)
{
    var logits = Forward(q.Map(t => new Var(t)), images).Value;
    int correct = 0;
    for (int i = 0; i < labels.Length; i++)
    {
        int best = 0;
        for (int c = 1; c < Classes; c++) if (logits[i, c] > logits[i, best]) best = c;
        if (best == labels[i]) correct++;
    }
    return (double)correct / labels.Length;
}

var (testImages, testLabels) = MakeBatch(keys[3], 600);
Console.WriteLine($"before training: test accuracy {Accuracy(p, testImages, testLabels):P1} (chance is {1.0 / Classes:P1})");
var clock = Stopwatch.StartNew();
const double LearningRate = 0.1;
for (int step = 1; step <= steps; step++)
{
    var (images, labels) = MakeBatch(new Rng(rng.Bits(step)), Batch);
    var (loss, grads) = Diff.ValueAndGrad(q => Op.CrossEntropy(Forward(q, images), labels), p);
    p = p.Zip(grads, (w, g) => Op.Subtract(w, Op.Multiply(g, Tensor.Scalar(LearningRate))).Value);
    if (step % 50 == 0 || step == steps)
        Console.WriteLine($"step {step,4}  loss {loss.ToScalar():F4}  {clock.Elapsed.TotalSeconds:F1}s");
}
double accuracy = Accuracy(p, testImages, testLabels);
Console.WriteLine($"after {steps} steps: test accuracy {accuracy:P1}");
