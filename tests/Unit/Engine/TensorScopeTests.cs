using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

/// <summary>
/// A <see cref="TensorScope"/> releases the large tensors ops created inside it unless they are kept, and
/// hands their arrays to later ops. Each test uses tensor lengths no other test uses, so the shared pool
/// starts without arrays of those lengths.
/// </summary>
public class TensorScopeTests
{
    private static Var Input(int seed, params int[] shape) => Tensor.RandomNormal(Rng.Seed(seed), shape);

    [Fact]
    public void TensorsNotKept_ThrowWhenRead_KeptOnesAndViewsOfThemReadTheirValues()
    {
        var x = Input(1, 3, 7, 41, 41);
        var expected = Op.Relu(x).Value.ToFloatArray();
        Var dropped, kept, view;
        using (var scope = TensorScope.Begin())
        {
            dropped = Op.Exp(x);
            kept = Op.Relu(x);
            view = Op.Reshape(kept, 3, -1);
            scope.Keep(kept);
        }
        var e = Assert.Throws<InvalidOperationException>(() => dropped.Value.At(0));
        Assert.Contains("TensorScope", e.Message);
        Assert.Contains("f32[3, 7, 41, 41]", e.Message);
        Assert.Throws<InvalidOperationException>(() => Op.Sum(dropped));
        Assert.Equal(expected, kept.Value.ToFloatArray());
        Assert.Equal(expected, view.Value.ToFloatArray());
        Assert.Equal(expected, x.Value.ToFloatArray().Select(v => Math.Max(v, 0f)).ToArray());
    }

    [Fact]
    public void TensorsFromOutside_AreNeverReleased()
    {
        var before = Input(2, 5, 7, 41, 41);
        var data = new float[5 * 7 * 41 * 41];
        data[3] = 2.5f;
        Tensor fromArray;
        using (TensorScope.Begin())
        {
            fromArray = Tensor.FromArray(data, [5, 7, 41, 41]);
            _ = Op.Add(before, before);
        }
        Assert.Equal(2.5, fromArray.At(3));
        Assert.Equal(Math.Exp(before.Value.At(7)), Op.Exp(before).Value.At(7), 5);
    }

    [Fact]
    public void WhatAnInnerScopeKeeps_TheOuterReleasesUnlessItKeepsItToo()
    {
        var x = Input(3, 7, 7, 41, 41);
        Var onlyInner, both;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                onlyInner = inner.Keep(Op.Exp(x));
                both = inner.Keep(Op.Relu(x));
            }
            Assert.Equal(Math.Exp(x.Value.At(0)), onlyInner.Value.At(0), 5);
            outer.Keep(both);
        }
        Assert.Throws<InvalidOperationException>(() => onlyInner.Value.At(0));
        Assert.Equal(Math.Max(x.Value.At(0), 0), both.Value.At(0));
    }

    [Fact]
    public void GradientsInsideScopes_AreBitIdenticalToUnscopedOnes_AndReuseTheSameArrays()
    {
        Var x = Input(4, 9, 6, 23, 23), w = Input(5, 8, 6, 3, 3), gy = Input(6, 9, 8, 23, 23);
        IReadOnlyList<Var> Run()
        {
            var (_, pullback) = Diff.Vjp(p => Op.Relu(Op.Conv2d(p[0], p[1], padding: 1)), x, w);
            return pullback(gy);
        }
        var reference = Run().Select(g => g.Value.ToFloatArray()).ToArray();
        long[] allocated = new long[4];
        for (int step = 0; step < allocated.Length; step++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            using var scope = TensorScope.Begin();
            var grads = Run();
            allocated[step] = GC.GetAllocatedBytesForCurrentThread() - start;
            for (int i = 0; i < grads.Count; i++) Assert.Equal(reference[i], grads[i].Value.ToFloatArray());
        }
        // One output alone is 150 KiB; after the first scope every large array comes from the pool.
        Assert.True(allocated[0] > 400_000, $"the first step allocated only {allocated[0]} bytes");
        Assert.True(allocated[3] < allocated[0] / 4, $"steps allocated {string.Join(", ", allocated)} bytes");
    }

    [Fact]
    public void ScopesEndInReverseOrder_OnTheirThread_AndKeepNeedsAnOpenScope()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("reverse order", e.Message);
        inner.Dispose();
        inner.Dispose();
        outer.Dispose();
        Assert.Throws<InvalidOperationException>(() => outer.Keep(Input(7, 2, 2)));
        var other = TensorScope.Begin();
        try
        {
            Exception? fromThread = null;
            var thread = new Thread(() => fromThread = Record.Exception(other.Dispose));
            thread.Start();
            thread.Join();
            Assert.IsType<InvalidOperationException>(fromThread);
        }
        finally { other.Dispose(); }
    }
}
