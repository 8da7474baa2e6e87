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

    /// <summary>
    /// The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear, conv and
    /// sigmoid; 5/3 for tanh; sqrt(2) for relu; sqrt(2 / (1 + a^2)) for leaky relu with negative slope a.
    /// </summary>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope)),
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "Gain: unknown nonlinearity."),
    };

    /// <summary>
    /// He / Kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan), fan = fan-in (keeps forward variance) or
    /// fan-out (keeps backward variance); as torch.nn.init.kaiming_uniform_.
    /// </summary>
    public static Tensor KaimingUniform(Rng rng, Shape shape, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
        double negativeSlope = 0, DType dtype = DType.Float32)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(shape, mode, nonlinearity, negativeSlope);
        return Tensor.RandomUniform(rng, shape, -bound, bound, dtype);
    }

    /// <summary>He / Kaiming normal: N(0, std^2) with std = gain / sqrt(fan); as torch.nn.init.kaiming_normal_.</summary>
    public static Tensor KaimingNormal(Rng rng, Shape shape, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
        double negativeSlope = 0, DType dtype = DType.Float32) =>
        Tensor.RandomNormal(rng, shape, 0, KaimingStd(shape, mode, nonlinearity, negativeSlope), dtype);

    /// <summary>Xavier / Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)); as torch.nn.init.xavier_uniform_.</summary>
    public static Tensor XavierUniform(Rng rng, Shape shape, double gain = 1.0, DType dtype = DType.Float32)
    {
        var (fanIn, fanOut) = Fans(shape);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Tensor.RandomUniform(rng, shape, -bound, bound, dtype);
    }

    /// <summary>Xavier / Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)); as torch.nn.init.xavier_normal_.</summary>
    public static Tensor XavierNormal(Rng rng, Shape shape, double gain = 1.0, DType dtype = DType.Float32)
    {
        var (fanIn, fanOut) = Fans(shape);
        return Tensor.RandomNormal(rng, shape, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), dtype);
    }

    /// <summary>All zeros (biases, batch norm's shift).</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Tensor.Zeros(shape, dtype);

    /// <summary>All ones (batch norm's scale).</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Tensor.Ones(shape, dtype);

    private static double KaimingStd(Shape shape, FanMode mode, Nonlinearity nonlinearity, double negativeSlope)
    {
        var (fanIn, fanOut) = Fans(shape);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0)
            throw new ArgumentException($"Kaiming initialisation of a weight {shape} has fan {fan}: every dimension must be positive.");
        return Gain(nonlinearity, negativeSlope) / Math.Sqrt(fan);
    }
}

/// <summary>Which fan Kaiming initialisation preserves: fan-in keeps the forward pass's variance, fan-out the backward's.</summary>
public enum FanMode
{
    FanIn,
    FanOut,
}

/// <summary>The nonlinearity a weight feeds, for <see cref="Initializers.Gain"/>.</summary>
public enum Nonlinearity
{
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
}
