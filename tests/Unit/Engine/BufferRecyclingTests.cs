using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

/// <summary>
/// The backward pass returns dead arrays to the pool, and with <see cref="DiffOptions.ReleaseIntermediates"/>
/// the forward values too. Every tensor here has at least <c>Buffers.MinPooled</c> elements, so it is pooled,
/// and the graph has the shapes of aliasing that bookkeeping can get wrong: a value used by several ops,
/// x + x (one cotangent for two inputs), reshaped views, and a forward value read by a distant op.
/// </summary>
public class BufferRecyclingTests
{
    private static readonly DiffOptions Release = new(ReleaseIntermediates: true);

    // [N, 3, 32, 32] images -> conv 8 channels (8192 N elements per activation) -> ... -> scalar.
    private static Var Net(IReadOnlyList<Var> p, Action<Var>? keep = null)
    {
        var h = Op.Conv2d(p[0], p[1], p[2], padding: 1);
        keep?.Invoke(h);
        var r = Op.Relu(Op.BatchNorm(h, p[3], p[4], null, null, training: true).Output);
        var doubled = r + r;
        int n = p[0].Shape[0];
        var viewed = Op.Reshape(Op.Reshape(doubled, n, -1), n, 8, 32, 32);
        var t = viewed * Op.Sigmoid(h);
        var m = Op.MaxPool2d(t, 2);
        return Op.Mean(m * m) + Op.Mean(h);
    }

    private static Tensor[] Inputs(DType dtype, int batch = 2)
    {
        var keys = Rng.Seed(11).Split(5);
        return
        [
            Tensor.RandomNormal(keys[0], [batch, 3, 32, 32], dtype: dtype),
            Tensor.RandomNormal(keys[1], [8, 3, 3, 3], std: 0.3, dtype: dtype),
            Tensor.RandomNormal(keys[2], [8], dtype: dtype),
            Tensor.RandomNormal(keys[3], [8], mean: 1, std: 0.1, dtype: dtype),
            Tensor.RandomNormal(keys[4], [8], dtype: dtype),
        ];
    }

    private static float[][] Gradients(Tensor[] xs, DiffOptions options)
    {
        var (_, grads) = Diff.ValueAndGrad(p => Net(p), xs.Select(x => new Var(x)).ToArray(), options);
        return grads.Select(g => g.Value.ToFloatArray()).ToArray();
    }

    [Fact]
    public void Gradients_WithRecycledBackwardArrays_PassTheDotProductLaw()
    {
        // The law's backward pass recycles cotangents and pullback temporaries; a reused live array would
        // break the agreement with finite differences.
        GradCheck.Assert("recycling net", p => Net(p), Inputs(DType.Float64), Rng.Seed(3));
    }

    [Fact]
    public void ReleaseIntermediates_GivesTheSameGradientsBitForBit_StepAfterStep()
    {
        var xs = Inputs(DType.Float32);
        var reference = Gradients(xs, DiffOptions.Default);
        for (int step = 0; step < 3; step++)
        {
            var grads = Gradients(xs, Release);
            for (int i = 0; i < reference.Length; i++) Assert.Equal(reference[i], grads[i]);
        }
    }

    [Fact]
    public void ReturnedValueAndGradients_AreNotOverwrittenByLaterSteps()
    {
        var xs = Inputs(DType.Float32).Select(x => new Var(x)).ToArray();
        var (value, grads) = Diff.ValueAndGrad(p => Net(p), xs, Release);
        double valueThen = value.Value.ToScalar();
        var gradsThen = grads.Select(g => g.Value.ToFloatArray()).ToArray();
        for (int step = 0; step < 3; step++) Diff.ValueAndGrad(p => Net(p), xs, Release);
        Assert.Equal(valueThen, value.Value.ToScalar());
        for (int i = 0; i < grads.Length; i++) Assert.Equal(gradsThen[i], grads[i].Value.ToFloatArray());
    }

    [Fact]
    public void AReleasedIntermediate_ThrowsWhenRead_AndAKeptOneReadsFine()
    {
        var xs = Inputs(DType.Float32).Select(x => new Var(x)).ToArray();
        Var? released = null;
        Tensor? copied = null;
        Diff.ValueAndGrad(p => Net(p, h => { released = h; copied = h.Value.Copy(); }), xs, Release);
        var e = Assert.Throws<InvalidOperationException>(() => released!.Value.At(0));
        Assert.Contains("ReleaseIntermediates", e.Message);
        Assert.Contains("f32[2, 8, 32, 32]", e.Message);
        Assert.Throws<InvalidOperationException>(() => Op.Relu(released!));

        Var? kept = null;
        Diff.ValueAndGrad(p => Net(p, h => kept = h), xs, DiffOptions.Default);
        Assert.Equal(copied!.ToFloatArray(), kept!.Value.ToFloatArray());
    }

    [Fact]
    public void ASecondStep_ReusesTheFirstStepsArrays()
    {
        // A batch size no other test uses, so the pool starts without arrays of these lengths.
        var xs = Inputs(DType.Float32, batch: 5).Select(x => new Var(x)).ToArray();
        long Step()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Diff.ValueAndGrad(p => Net(p), xs, Release);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long first = Step(), second = Step();
        // One activation alone is 64 KiB; the first step allocates dozens of them.
        Assert.True(first > 1_000_000, $"the first step allocated only {first} bytes");
        Assert.True(second < first / 2, $"the second step allocated {second} bytes, the first {first}");
    }
}
