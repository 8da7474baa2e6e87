using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// A U-Net expanding stage, which takes two inputs and so is not an <see cref="ILayer"/>: the input x
/// [N, InChannels, H, W] is upsampled by a 2x2 stride-2 transposed convolution to [N, InChannels/2, 2H, 2W]
/// (child <c>up</c>), joined along channels with the skip [N, InChannels/2, 2H, 2W] from the contracting
/// path (skip first, as the original U-Net), and passed through a <see cref="DoubleConv"/> from InChannels
/// to OutChannels (child <c>conv</c>).
/// </summary>
public sealed record UNetUp(int InChannels, int OutChannels)
{
    private ConvTranspose2d Up => new(InChannels, InChannels / 2, 2, 2);
    private DoubleConv Conv => new(InChannels, OutChannels);

    /// <summary>Parameters <c>up.*</c> and <c>conv.*</c>.</summary>
    public ParamTree<Tensor> Init(Rng rng)
    {
        RequireEven();
        var (ku, kc) = rng.Split();
        return ParamTree.Of(("up", Up.Init(ku)), ("conv", Conv.Init(kc)));
    }

    /// <summary>The batch-norm state of <c>conv</c>.</summary>
    public ParamTree<Tensor> InitState() => ParamTree.Of(("conv", Conv.InitState()));

    /// <summary>DoubleConv(concat(skip, up(x))) and the new state.</summary>
    /// <param name="x">[N, InChannels, H, W]</param>
    /// <param name="skip">[N, InChannels/2, 2H, 2W]</param>
    public LayerResult Forward(ParamTree<Var> p, Var x, Var skip, LayerContext ctx)
    {
        var s = new Scope(p, ctx);
        var u = s.Run("up", Up, x);
        if (skip.Rank != 4 || skip.Shape[0] != u.Shape[0] || skip.Shape[1] != u.Shape[1] || skip.Shape[2] != u.Shape[2] || skip.Shape[3] != u.Shape[3])
            throw new ArgumentException($"UNetUp expects a skip {u.Shape} to match the upsampled input but got {skip.Shape}: use input sizes divisible by 2^depth so the contracting and expanding paths meet.");
        var y = s.Run("conv", Conv, Op.Concat([skip, u], 1));
        return new LayerResult(y, s.State);
    }

    /// <summary>The output shape for input shape <paramref name="input"/>: [N, OutChannels, 2H, 2W].</summary>
    public Shape OutputShape(Shape input)
    {
        RequireEven();
        var u = Up.OutputShape(input);
        return Conv.OutputShape(u.With(1, 2 * u[1]));
    }

    private void RequireEven()
    {
        if (InChannels < 2 || InChannels % 2 != 0)
            throw new ArgumentException($"UNetUp expects an even InChannels of at least 2 (half come from upsampling, half from the skip) but got {InChannels}.");
    }
}
