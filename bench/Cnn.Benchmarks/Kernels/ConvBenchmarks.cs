using BenchmarkDotNet.Attributes;
using Cnn.Autodiff.Kernels;

namespace Cnn.Benchmarks.Kernels;

/// <summary>The convolution kernels (forward, transpose = input gradient, weight gradient) at batch 64 on the end-to-end shapes.</summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private float[] _x = [], _w = [], _y = [], _gw = [];
    private Conv2dGeometry _g;

    // input channels -> output channels @ size, kernel, groups
    [Params("3->32@32 k3", "32->64@16 k3", "64->64@32 k3", "128->128@16 k3", "256->256@8 k3", "dw64@32 k3", "64->128@32 k1")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var (cin, cout, size, k, groups) = Case switch
        {
            "3->32@32 k3" => (3, 32, 32, 3, 1),
            "32->64@16 k3" => (32, 64, 16, 3, 1),
            "64->64@32 k3" => (64, 64, 32, 3, 1),
            "128->128@16 k3" => (128, 128, 16, 3, 1),
            "256->256@8 k3" => (256, 256, 8, 3, 1),
            "dw64@32 k3" => (64, 64, 32, 3, 64),
            _ => (64, 128, 32, 1, 1),
        };
        int pad = k / 2, batch = 64;
        _g = new Conv2dGeometry(batch, cin, size, size, cout, k, k, size, size, 1, 1, pad, pad, 1, 1, groups);
        var rnd = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray();
        _x = R(batch * cin * size * size);
        _w = R(cout * (cin / groups) * k * k);
        _y = R(batch * cout * size * size);
        _gw = new float[_w.Length];
    }

    [Benchmark]
    public void Forward() => Conv2dKernels.Forward(_x, _w, null, _y, _g);

    [Benchmark]
    public void InputGradient() => Conv2dKernels.Transpose(_y, _w, null, _x, _g);

    [Benchmark]
    public void WeightGradient() => Conv2dKernels.WeightGrad(_x, _y, _gw, _g);
}
