#:project ../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// The training loop written out by hand, as in a PyTorch script: for each batch, the loss and its gradients
// in training mode, then one optimizer step. Trains FashionLeNet on the shipped Fashion-MNIST sample.
//
//   dotnet run examples/manual-loop.cs [-- --epochs N --max-steps N --out DIR]
using System.Diagnostics;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;

var arguments = ScriptArguments.Parse(args, "epochs", "max-steps", "out");
int epochs = arguments.Int("epochs", 2), maxSteps = arguments.Int("max-steps", int.MaxValue);
string outDir = arguments.String("out", Path.Combine("out", "manual-loop"));

var data = FashionMnist.Load();
var model = new Model(new FashionLeNet(), seed: 0);
var opt = new Optimizer(model, new Adam(1e-3));
var loader = new DataLoader(data.Train, batchSize: 64, shuffle: true, seed: 0);
Console.WriteLine($"{data.Train.Count:N0} training images, {loader.BatchesPerEpoch} steps per epoch, {model.ParameterCount:N0} parameters");

var clock = Stopwatch.StartNew();
int step = 0;
for (int epoch = 0; epoch < epochs && step < maxSteps; epoch++)
{
    double lossSum = 0;
    int batches = 0;
    foreach (var (x, y) in loader.Epoch(epoch))
    {
        var (loss, grads) = model.ValueAndGrad(x, y, Losses.CrossEntropy);   // training mode
        opt.Step(grads);
        lossSum += loss;
        batches++;
        if (++step % 25 == 0) Console.WriteLine($"  step {step,4}  loss {loss:F4}  {clock.Elapsed.TotalSeconds:F1} s");
        if (step == maxSteps) break;
    }
    var test = model.Evaluate(data.Test);                                      // evaluation mode
    Console.WriteLine($"epoch {epoch + 1}: mean training loss {lossSum / batches:F4}, test accuracy {test.Accuracy:P2}");
}

Directory.CreateDirectory(outDir);
var path = Path.Combine(outDir, "manual-loop.safetensors");
model.Save(path);
opt.Save(path);
Console.WriteLine($"saved {path} (and its optimizer state) after {step} steps, {clock.Elapsed.TotalSeconds:F1} s");
