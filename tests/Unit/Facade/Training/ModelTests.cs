using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using Cnn.Layers;
using Cnn.Unit.Facade.Checkpoints;
using static Cnn.Unit.Facade.Training.TrainingFixtures;

namespace Cnn.Unit.Facade.Training;

public class ModelTests
{
    private static readonly TensorDataset Data = Quadrants(40, seed: 1);

    [Fact]
    public void Constructor_Seed_ParametersAreArchitectureInit()
    {
        var net = SmallNet();
        var model = new Model(net, seed: 4);
        Assert.True(TreesBitEqual(net.Init(Rng.Seed(4)), model.Parameters));
        Assert.True(TreesBitEqual(net.InitState(), model.State));
        Assert.Equal(net.ParameterCount(), model.ParameterCount);
    }

    [Fact]
    public void Predict_InSmallBatches_EqualsOneBatch()
    {
        var model = new Model(SmallNet(), seed: 0);
        var whole = model.Predict(Data.Inputs, batchSize: 1000);
        var pieces = model.Predict(Data.Inputs, batchSize: 7);
        Assert.Equal([40, 4], pieces.Shape.Dims.ToArray());
        Assert.True(CheckpointFiles.BitEqual(whole, pieces));
        Assert.Equal(Op.ArgMax(whole, 1), model.PredictClasses(Data.Inputs, batchSize: 7));
    }

    [Fact]
    public void Evaluate_HandCheckedOutputs_LossAccuracyTopKAndConfusion()
    {
        // Logits are the input itself: sample 0 predicts 2 (label 2), sample 1 predicts 0 (label 1, second largest),
        // sample 2 predicts 0 (label 2, smallest).
        var x = Tensor.FromArray(new float[] { 0, 1, 3, 1, 0.5f, 0, 2, 1, 0 }, [3, 3]);
        var data = new TensorDataset(x, [2, 1, 2]);
        var model = new Model(new Sequential(), seed: 0);

        var r = model.Evaluate(data, topK: 2);

        Assert.Equal(1.0 / 3, r.Accuracy, 12);
        Assert.Equal(2.0 / 3, r.TopKAccuracy, 12);
        Assert.Equal(2, r.K);
        Assert.Equal(3, r.Count);
        Assert.Equal(1, r.Confusion[2, 2]);
        Assert.Equal(1, r.Confusion[1, 0]);
        Assert.Equal(1, r.Confusion[2, 0]);
        double expectedLoss = Op.CrossEntropy(x, [2, 1, 2]).Value.ToScalar();
        Assert.Equal(expectedLoss, r.Loss, 6);
    }

    [Fact]
    public void Evaluate_BatchedLoader_SameAsWholeDataset()
    {
        var model = new Model(SmallNet(), seed: 0);
        var whole = model.Evaluate(Data, batchSize: 1000);
        var batched = model.Evaluate(new DataLoader(Data, 6));
        Assert.Equal(whole.Accuracy, batched.Accuracy);
        Assert.Equal(whole.Loss, batched.Loss, 6);
        Assert.Equal(whole.Confusion.Counts.ToArray(), batched.Confusion.Counts.ToArray());
    }

    [Fact]
    public void ValueAndGrad_TrainMode_UpdatesBatchNormStateButNotParameters()
    {
        var model = new Model(SmallNet(), seed: 0);
        var p = model.Parameters;
        var (x, y) = Data.Gather([0, 1, 2, 3, 4, 5, 6, 7]);

        var (loss, grads) = model.ValueAndGrad(x, y, Losses.CrossEntropy);

        Assert.True(loss > 0);
        Assert.Equal(p.Paths, grads.Paths);
        Assert.Same(p, model.Parameters);
        Assert.False(CheckpointFiles.BitEqual(SmallNet().InitState()["1.running_mean"], model.State["1.running_mean"]));
    }

    [Fact]
    public void OptimizerStep_ExplicitLoop_LowersLoss()
    {
        var model = new Model(SmallNet(), seed: 0);
        var opt = new Optimizer(model, new Adam(1e-2));
        var loader = new DataLoader(Data, 10, shuffle: true, seed: 1);
        double first = double.NaN, last = double.NaN;
        for (int epoch = 0; epoch < 5; epoch++)
            foreach (var (x, y) in loader.Epoch(epoch))
            {
                var (loss, grads) = model.ValueAndGrad(x, y, Losses.CrossEntropy);
                opt.Step(grads);
                if (double.IsNaN(first)) first = loss;
                last = loss;
            }
        Assert.Equal(20, opt.StepCount);
        Assert.True(last < first, $"loss {first} -> {last}");
    }

    [Fact]
    public void Optimizer_SaveLoad_RestoresStateAndContinuesIdentically()
    {
        using var dir = new TempDirectory();
        var (x, y) = Data.Gather([0, 1, 2, 3, 4, 5]);
        var model = new Model(SmallNet(), seed: 0);
        var opt = new Optimizer(model, new Adam(1e-2));
        opt.Step(model.ValueAndGrad(x, y, Losses.CrossEntropy, Rng.Seed(1)).Grads);
        model.Save(dir.File("m.safetensors"));
        opt.Save(dir.File("m.safetensors"));
        opt.Step(model.ValueAndGrad(x, y, Losses.CrossEntropy, Rng.Seed(2)).Grads);

        var copy = new Model(SmallNet(), seed: 1);
        copy.Load(dir.File("m.safetensors"));
        var copyOpt = new Optimizer(copy, new Adam(1e-2));
        copyOpt.Load(dir.File("m.safetensors"));
        Assert.Equal(1, copyOpt.StepCount);
        copyOpt.Step(copy.ValueAndGrad(x, y, Losses.CrossEntropy, Rng.Seed(2)).Grads);

        Assert.True(TreesBitEqual(model.Parameters, copy.Parameters));
    }

    [Fact]
    public void OptimizerLoad_OtherAlgorithm_ThrowsNamingBuffers()
    {
        using var dir = new TempDirectory();
        var model = new Model(SmallNet(), seed: 0);
        new Optimizer(model, new Sgd(0.1, momentum: 0.9)).Save(dir.File("m.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => new Optimizer(model, new Adam()).Load(dir.File("m.safetensors")));
        Assert.Contains("momentum_buffer", e.Message);
        Assert.Contains("exp_avg", e.Message);
    }

    [Fact]
    public void OptimizerLearningRate_WithSchedule_FollowsStepsAndCannotBeSet()
    {
        var model = new Model(SmallNet(), seed: 0);
        var opt = new Optimizer(model, new Sgd(1), new StepLR(1, stepSize: 1, gamma: 0.5));
        var (x, y) = Data.Gather([0, 1]);
        opt.Step(model.ValueAndGrad(x, y, Losses.CrossEntropy).Grads);
        Assert.Equal(0.5, opt.LearningRate);
        Assert.Throws<InvalidOperationException>(() => opt.LearningRate = 0.1);
    }

    [Fact]
    public void SaveLoad_RoundTrip_BitIdentical()
    {
        using var dir = new TempDirectory();
        var model = new Model(SmallNet(), seed: 0);
        var (x, y) = Data.Gather([0, 1, 2, 3]);
        model.ValueAndGrad(x, y, Losses.CrossEntropy);
        model.Save(dir.File("m.safetensors"));

        var other = new Model(SmallNet(), seed: 5);
        other.Load(dir.File("m.safetensors"));

        Assert.True(TreesBitEqual(model.Parameters, other.Parameters));
        Assert.True(TreesBitEqual(model.State, other.State));
    }

    [Fact]
    public void Load_OtherArchitecture_ThrowsListingMismatches()
    {
        using var dir = new TempDirectory();
        new Model(SmallNet(), seed: 0).Save(dir.File("m.safetensors"));
        var other = new Model(new Sequential(new Linear(64, 4)), seed: 0);
        var e = Assert.Throws<CheckpointMismatchException>(() => other.Load(dir.File("m.safetensors")));
        Assert.Contains("0.weight", e.Message);
    }

    [Fact]
    public void LoadStateDict_PyTorchLeNet_AllEntriesMatch()
    {
        var model = new Model(new Sequential(
            new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10)));

        var report = model.LoadStateDict(Path.Combine(AppContext.BaseDirectory, "Facade", "Checkpoints", "data", "fashion_lenet.safetensors"));

        Assert.True(report.IsExactMatch, report.ToString());
        Assert.NotEqual(0, model.Parameters["9.bias"].At(0));
    }

    [Fact]
    public void ParametersSetter_OtherLayout_ThrowsNamingEntry()
    {
        var model = new Model(SmallNet(), seed: 0);
        var wrong = model.Parameters.With("6.weight", Tensor.Zeros([4, 63]));
        var e = Assert.Throws<ArgumentException>(() => model.Parameters = wrong);
        Assert.Contains("'6.weight'", e.Message);
        Assert.Contains("[4, 64]", e.Message);
    }

    [Fact]
    public void Summary_SmallNet_CountsParameters()
    {
        var model = new Model(SmallNet(), seed: 0);
        var summary = model.Summary([1, 1, 8, 8]);
        Assert.Equal(model.ParameterCount, summary.TrainableParameters);
    }
}
