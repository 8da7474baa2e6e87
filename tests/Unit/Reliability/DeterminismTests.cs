using System.Runtime.InteropServices;
using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Reliability;

/// <summary>
/// Same seed, same answer: forward and backward passes of a small CNN (conv, batch norm, relu, pool, linear,
/// cross-entropy) computed on two threads at once give gradients bit-identical to the same computations run one
/// after the other. The batch is large enough that the convolution and GEMM kernels take their Parallel.For paths
/// (Conv2dKernels.ParallelMacs and Gemm.ParallelThreshold, both 2^18 multiply-adds).
/// </summary>
public sealed class DeterminismTests
{
    private const int Batch = 16, Classes = 10;

    // conv1: 8 x 16*16 x 27 = 55,296 MACs per sample (884,736 per batch); fc1: 16 x 128 x 256 = 524,288.
    private static readonly Sequential Net = new(
        new Conv2d(3, 8, 3, Padding: 1), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
        new Conv2d(8, 16, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(16 * 4 * 4, 128), new ReLU(), new Linear(128, Classes));

    private static ParamTree<Tensor> Gradients(long seed)
    {
        var rng = Rng.Seed(seed);
        var (kp, kx) = rng.Split();
        var p = Net.Init(kp);
        var x = new Var(Tensor.RandomNormal(kx, [Batch, 3, 16, 16]));
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++) labels[i] = (int)((seed + 7 * i) % Classes);
        var ctx = LayerContext.Train(Rng.Seed(seed + 1), Net.InitState());
        return Diff.ValueAndGrad(q => Op.CrossEntropy(Net.Forward(q, x, ctx).Output, labels), p).Grads;
    }

    private static void AssertBitIdentical(ParamTree<Tensor> expected, ParamTree<Tensor> actual, string what)
    {
        Assert.Equal(expected.Paths, actual.Paths);
        foreach (var name in expected.Paths)
            Assert.True(MemoryMarshal.AsBytes(expected[name].Span<float>()).SequenceEqual(MemoryMarshal.AsBytes(actual[name].Span<float>())),
                $"{what}: the gradient of {name} differs");
    }

    [Fact]
    public async Task ValueAndGrad_SmallCnnOnTwoThreadsAtOnce_BitIdenticalToOneAfterTheOther()
    {
        var first = Gradients(11);
        var second = Gradients(12);
        Assert.True(first["0.weight"].Span<float>().IndexOfAnyExcept(0f) >= 0, "the gradient should not be zero");
        for (int round = 0; round < 3; round++)
        {
            using var start = new Barrier(2);
            var a = Task.Factory.StartNew(() => { start.SignalAndWait(); return Gradients(11); }, TaskCreationOptions.LongRunning);
            var b = Task.Factory.StartNew(() => { start.SignalAndWait(); return Gradients(12); }, TaskCreationOptions.LongRunning);
            AssertBitIdentical(first, await a, $"round {round}, first computation");
            AssertBitIdentical(second, await b, $"round {round}, second computation");
        }
    }

    // Five Adam steps of the small CNN on fixed batches drawn from seed; returns parameters and batch-norm state.
    private static ParamTree<Tensor> TrainFiveSteps(int seed)
    {
        var p = Net.Init(Rng.Seed(seed));
        var state = Net.InitState();
        var adam = new Adam(1e-2);
        var opt = adam.Init(p);
        for (int step = 0; step < 5; step++)
        {
            var x = new Var(Tensor.RandomNormal(Rng.Seed(100 * seed + step), [Batch, 3, 16, 16]));
            var labels = Enumerable.Range(0, Batch).Select(i => (i * 3 + step + seed) % Classes).ToArray();
            var ctx = LayerContext.Train(Rng.Seed(200 * seed + step), state);
            ParamTree<Tensor> newState = state;
            var (_, grads) = Diff.ValueAndGrad(q =>
            {
                var r = Net.Forward(q, x, ctx);
                newState = r.State;
                return Op.CrossEntropy(r.Output, labels);
            }, p);
            (p, opt) = adam.Step(p, grads, opt);
            state = newState;
        }
        return p.Concat(state);
    }

    private static ParamTree<Tensor> TrainFiveStepsWithThreads(int threads) => Threads.With(threads, () => TrainFiveSteps(seed: 3));

    [Fact]
    public async Task Training_TwoTrainingsAtOnce_SameAsOneAfterTheOther()
    {
        var sequential = (TrainFiveSteps(1), TrainFiveSteps(2));
        var a = Task.Run(() => TrainFiveSteps(1));
        var b = Task.Run(() => TrainFiveSteps(2));
        var results = await Task.WhenAll(a, b);
        AssertBitIdentical(sequential.Item1, results[0], "training 1 run alongside training 2");
        AssertBitIdentical(sequential.Item2, results[1], "training 2 run alongside training 1");
    }

    [Fact]
    public void Training_OneThreadAndTwoThreads_BitIdenticalParametersAndState()
    {
        // NOTE: the cap is process-wide; another test changing it meanwhile only changes speed, since every
        // kernel splits its work by sizes alone and sums in a fixed order.
        var one = TrainFiveStepsWithThreads(1);
        var two = TrainFiveStepsWithThreads(2);
        AssertBitIdentical(one, two, "training with 1 thread against 2 threads");
    }
}
