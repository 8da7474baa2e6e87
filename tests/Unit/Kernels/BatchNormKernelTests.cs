using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

/// <summary>The batch-norm kernels give the same bits whatever the thread count.</summary>
public class BatchNormKernelTests
{
    [Theory]
    [InlineData(4, 8, 1100)]
    [InlineData(64, 5, 127)]
    public void Kernels_OneThreadAndSeveral_EqualBitwise(int n, int c, int s)
    {
        var rnd = new Random(3);
        float[] R(int k) => Enumerable.Range(0, k).Select(_ => (float)rnd.NextDouble() * 4 - 1).ToArray();
        float[] x = R(n * c * s), g = R(n * c * s), w = R(c), b = R(c);
        (float[] Y, double[] Mean, double[] Var, float[] Gx, float[] Gw, float[] Gb) Run(int threads) => Threads.With(threads, () =>
        {
            float[] y = new float[x.Length], gx = new float[x.Length], gw = new float[c], gb = new float[c];
            double[] mean = new double[c], variance = new double[c];
            BatchNormKernels.ForwardTraining(x, y, w, b, n, c, s, 1e-5, mean, variance);
            var invStd = variance.Select(v => BatchNormKernels.InvStd(v, 1e-5)).ToArray();
            BatchNormKernels.Backward(x, g, w, n, c, s, mean, invStd, training: true, gx, gw, gb);
            return (y, mean, variance, gx, gw, gb);
        });
        var one = Run(1);
        var several = Run(4);
        Assert.Equal(one.Y, several.Y);
        Assert.Equal(one.Mean, several.Mean);
        Assert.Equal(one.Var, several.Var);
        Assert.Equal(one.Gx, several.Gx);
        Assert.Equal(one.Gw, several.Gw);
        Assert.Equal(one.Gb, several.Gb);
    }
}
