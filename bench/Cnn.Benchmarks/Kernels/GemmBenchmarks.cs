using BenchmarkDotNet.Attributes;
using Cnn.Autodiff.Kernels;

namespace Cnn.Benchmarks.Kernels;

/// <summary>Gemm.Multiply on square products and on a Linear-like shape (batch 64 x 3136 inputs x 128 outputs, weight read transposed).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params("256x256x256", "512x512x512", "1024x1024x1024", "64x128x3136 transB", "128x3136x64 transA")]
    public string Shape { get; set; } = "";

    private (int M, int N, int K, bool TransA, bool TransB) Dims()
    {
        var parts = Shape.Split(' ');
        var d = parts[0].Split('x').Select(int.Parse).ToArray();
        return (d[0], d[1], d[2], Shape.EndsWith("transA"), Shape.EndsWith("transB"));
    }

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k, _, _) = Dims();
        var rnd = new Random(1);
        _a = Enumerable.Range(0, m * k).Select(_ => (float)rnd.NextDouble()).ToArray();
        _b = Enumerable.Range(0, k * n).Select(_ => (float)rnd.NextDouble()).ToArray();
        _c = new float[m * n];
    }

    [Benchmark]
    public void Multiply()
    {
        var (m, n, k, ta, tb) = Dims();
        Gemm.Multiply<float>(_a, _b, _c, m, n, k, ta, tb);
    }
}
