using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Weight initialisers as pure functions of a random key. Fan-in of a weight [out, in, kh, kw] is
/// in*kh*kw and fan-out is out*kh*kw, as PyTorch computes them.
/// </summary>
public static class Initializers
{
    /// <summary>(fan in, fan out) of a weight shape: [out, in, *receptive] or [out, in].</summary>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 2)
            throw new ArgumentException($"Fan-in and fan-out need a weight of rank 2 or more but got {shape}.");
        int receptive = 1;
        for (int i = 2; i < shape.Rank; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>
    /// U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for Conv2d and Linear weights (kaiming_uniform
    /// with a = sqrt(5)) and biases.
    /// </summary>
    public static Tensor PyTorchDefault(Rng rng, Shape shape, int fanIn, DType dtype = DType.Float32)
    {
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;
        return Tensor.RandomUniform(rng, shape, -bound, bound, dtype);
    }

    /// <summary>
    /// A weight of <paramref name="weightShape"/> and, with <paramref name="bias"/>, a bias [<paramref name="biasSize"/>],
    /// both <see cref="PyTorchDefault"/> with the weight's fan-in (<see cref="Fans"/>), each from its own key split
    /// from <paramref name="rng"/>: PyTorch's initialisation of Linear, Conv2d and ConvTranspose2d.
    /// </summary>
    public static ParamTree<Tensor> WeightAndBias(Rng rng, Shape weightShape, int biasSize, bool bias)
    {
        var (kw, kb) = rng.Split();
        int fanIn = Fans(weightShape).FanIn;
        var w = PyTorchDefault(kw, weightShape, fanIn);
        return bias
            ? ParamTree.Of(("weight", w), ("bias", PyTorchDefault(kb, [biasSize], fanIn)))
            : ParamTree.Of(("weight", w));
    }
}
