using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// A small U-Net, image to image: <c>inc</c> = <see cref="DoubleConv"/> InChannels-&gt;Base; <c>down1</c>..<c>downD</c>
/// (<see cref="UNetDown"/>) doubling the channels and halving H and W; <c>up1</c>..<c>upD</c> (<see cref="UNetUp"/>)
/// going back up, each joined with the matching contracting output; <c>outc</c> = 1x1 conv Base-&gt;OutChannels.
/// Input [N, InChannels, H, W] with H and W divisible by 2^Depth; output [N, OutChannels, H, W] (logits).
/// </summary>
/// <remarks>
/// The stages take the skip connections as a second input, so the network wires them in its
/// <see cref="Forward"/> instead of being a chain of single-input layers.
/// </remarks>
public sealed record UNetSmall(int InChannels = 1, int OutChannels = 1, int Base = 16, int Depth = 2) : ILayer
{
    private DoubleConv Inc => new(InChannels, Base);
    private UNetDown Down(int i) => new(Base << (i - 1), Base << i);
    // up1 is the deepest: from Base*2^Depth channels to Base*2^(Depth-1).
    private UNetUp Up(int i) => new(Base << (Depth - i + 1), Base << (Depth - i));
    private Conv2d OutConv => new(Base, OutChannels, 1);

    public ParamTree<Tensor> Init(Rng rng)
    {
        RequireDepth();
        var keys = rng.Split(2 * Depth + 2);
        var entries = new List<(string, object)> { ("inc", Inc.Init(keys[0])) };
        for (int i = 1; i <= Depth; i++) entries.Add(($"down{i}", Down(i).Init(keys[i])));
        for (int i = 1; i <= Depth; i++) entries.Add(($"up{i}", Up(i).Init(keys[Depth + i])));
        entries.Add(("outc", OutConv.Init(keys[^1])));
        return ParamTree.Of(entries.ToArray());
    }

    public ParamTree<Tensor> InitState()
    {
        RequireDepth();
        var entries = new List<(string, object)> { ("inc", Inc.InitState()) };
        for (int i = 1; i <= Depth; i++) entries.Add(($"down{i}", Down(i).InitState()));
        for (int i = 1; i <= Depth; i++) entries.Add(($"up{i}", Up(i).InitState()));
        return ParamTree.Of(entries.ToArray());
    }

    /// <summary>The contracting path, then the expanding path joined with the contracting outputs of the same size.</summary>
    /// <param name="x">[N, InChannels, H, W]</param>
    public LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        OutputShape(x.Shape);
        var s = new Scope(p, ctx);
        var skips = new Var[Depth + 1];
        skips[0] = s.Run("inc", Inc, x);
        for (int i = 1; i <= Depth; i++) skips[i] = s.Run($"down{i}", Down(i), skips[i - 1]);
        var h = skips[Depth];
        for (int i = 1; i <= Depth; i++)
        {
            var (up, input, skip) = (Up(i), h, skips[Depth - i]);
            h = s.Run($"up{i}", (q, c) => up.Forward(q, input, skip, c));
        }
        return new LayerResult(s.Run("outc", OutConv, h), s.State);
    }

    public Shape OutputShape(Shape input)
    {
        RequireDepth();
        int f = 1 << Depth;
        if (input.Rank != 4 || input[1] != InChannels || input[2] % f != 0 || input[3] % f != 0 || input[2] < f || input[3] < f)
            throw new ArgumentException($"UNetSmall expects input [N, {InChannels}, H, W] with H and W positive multiples of 2^{Depth} = {f} but got {input}: pad or crop the image to a multiple of {f}.");
        return [input[0], OutChannels, input[2], input[3]];
    }

    private void RequireDepth()
    {
        if (Depth < 1 || Base < 1)
            throw new ArgumentException($"UNetSmall expects Depth and Base of at least 1 but got Depth {Depth}, Base {Base}.");
    }
}
