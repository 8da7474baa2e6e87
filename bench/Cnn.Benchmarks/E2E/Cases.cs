using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// One end-to-end benchmark case: the same shapes, batch and work on our side (<see cref="Prepare"/>) and on
/// PyTorch's (<see cref="Spec"/>, read by tools/bench/torch_bench.py).
/// </summary>
internal abstract record Case(string Name)
{
    /// <summary>Floating-point operations of one run (a multiply-add counts 2).</summary>
    public abstract double Flops { get; }

    /// <summary>The case as the PyTorch script reads it.</summary>
    public abstract Dictionary<string, object> Spec();

    /// <summary>Builds the inputs and returns one run of the case.</summary>
    public abstract Action Prepare();

    /// <summary>Whether allocation and GC figures are reported for this case.</summary>
    public virtual bool Training => false;

    /// <summary>Untimed runs before the timed ones, on both sides, given the run's standard count.</summary>
    public virtual int Warmup(int standard) => standard;

    /// <summary>The share of the measured FP32 peak this case's element type can reach (float64 vectors hold half as many lanes).</summary>
    public virtual double PeakShare => 1;

    protected static string Suffix(DType dtype) => dtype == DType.Float64 ? " f64" : "";

    protected static string TorchType(DType dtype) => dtype == DType.Float64 ? "float64" : "float32";

    protected static Tensor Random(int seed, params int[] shape) => Tensor.RandomNormal(Rng.Seed(seed), shape);

    // NOTE: one run of an op case is its call inside a TensorScope that keeps nothing, so its outputs' arrays serve
    // the next run, as PyTorch's allocator reuses the memory of the outputs it frees when the run drops them.
    protected static Action InScope(Action run) => () =>
    {
        using var scope = TensorScope.Begin();
        run();
    };
}

/// <summary>
/// C = A B with A, B [n, n]: the product into a C allocated once (Gemm.Multiply; torch.mm with out=, which is
/// OpenBLAS's sgemm), or with <paramref name="NewOutput"/> the op, which returns a new C every run (Op.MatMul; torch.mm).
/// </summary>
internal sealed record MatMulCase(int N, bool NewOutput, DType DType = DType.Float32)
    : Case($"matmul {N}{(NewOutput ? " (new output)" : "")}{Suffix(DType)}")
{
    public override double Flops => 2.0 * N * N * N;

    public override double PeakShare => DType == DType.Float64 ? 0.5 : 1;

    public override Dictionary<string, object> Spec() => new() { ["name"] = Name, ["kind"] = "matmul", ["n"] = N, ["out"] = !NewOutput, ["dtype"] = TorchType(DType) };

    public override Action Prepare()
    {
        Var a = Random(1, N, N).Cast(DType), b = Random(2, N, N).Cast(DType);
        if (NewOutput) return InScope(() => Op.MatMul(a, b));
        if (DType == DType.Float64) return Product(a.Value.ToDoubleArray(), b.Value.ToDoubleArray());
        return Product(a.Value.ToFloatArray(), b.Value.ToFloatArray());
    }

    private Action Product<T>(T[] a, T[] b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = new T[N * N];
        return () => Gemm.Multiply<T>(a, b, c, N, N, N);
    }
}

/// <summary>A square-kernel convolution without bias, forward only or forward and backward (input and weight gradients).</summary>
internal sealed record ConvCase(string Label, int Batch, int Cin, int Cout, int Size, int Kernel, int Pad, int Groups, bool Backward, DType DType = DType.Float32)
    : Case($"conv {Label}{(Backward ? " fwd+bwd" : " fwd")}{Suffix(DType)}")
{
    public override double PeakShare => DType == DType.Float64 ? 0.5 : 1;

    private int Out => Size + 2 * Pad - Kernel + 1;

    /// <summary>Forward multiply-adds of the whole batch.</summary>
    public double Macs => (double)Batch * Cout * Out * Out * (Cin / Groups) * Kernel * Kernel;

    // Forward and backward: the forward product, the input gradient and the weight gradient each cost the same.
    public override double Flops => 2 * Macs * (Backward ? 3 : 1);

    public override Dictionary<string, object> Spec() => new()
    {
        ["name"] = Name, ["kind"] = Backward ? "conv_fwd_bwd" : "conv", ["batch"] = Batch, ["cin"] = Cin, ["cout"] = Cout,
        ["h"] = Size, ["w"] = Size, ["k"] = Kernel, ["pad"] = Pad, ["stride"] = 1, ["groups"] = Groups, ["dtype"] = TorchType(DType),
    };

    public override Action Prepare()
    {
        Var x = Random(1, Batch, Cin, Size, Size).Cast(DType), w = Random(2, Cout, Cin / Groups, Kernel, Kernel).Cast(DType);
        var options = Conv2dOptions.Create(1, Pad, 1, Groups);
        if (!Backward) return InScope(() => Op.Conv2d(x, w, null, options));
        Var gy = Random(3, Batch, Cout, Out, Out).Cast(DType);
        return InScope(() =>
        {
            var (_, pullback) = Diff.Vjp(xs => Op.Conv2d(xs[0], xs[1], null, options), x, w);
            pullback(gy);
        });
    }
}

/// <summary>One training step (forward, cross-entropy, backward, p - lr g) of a network from <see cref="Networks"/>.</summary>
internal sealed record TrainCase(string Net, int Batch) : Case($"train {Net} b{Batch}")
{
    public override double Flops => 2 * 3 * Networks.ForwardMacsPerSample(Net) * Batch;

    public override bool Training => true;

    // NOTE: the first steps of a training run are slower on both sides (JIT tiering here, allocator and primitive
    // caches there; the buffer pool fills during the first step), so steps are timed once a run has settled.
    public override int Warmup(int standard) => Math.Max(standard, SettledAfter);

    private const int SettledAfter = 20;

    public override Dictionary<string, object> Spec() => new() { ["name"] = Name, ["kind"] = "train", ["net"] = Net, ["batch"] = Batch, ["warmup"] = SettledAfter };

    public override Action Prepare()
    {
        var net = Networks.Create(Net, Batch);
        return net.Step;
    }
}
