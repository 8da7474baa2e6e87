using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>Merges dimensions StartDim..EndDim into one: [N, C, H, W] becomes [N, C*H*W] by default.</summary>
public sealed record Flatten(int StartDim = 1, int EndDim = -1) : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Flatten(x, StartDim, EndDim);

    public override Shape OutputShape(Shape input)
    {
        int s = Shape.NormalizeAxis(StartDim, input.Rank), e = Shape.NormalizeAxis(EndDim, input.Rank);
        var dims = new List<int>();
        for (int i = 0; i < s; i++) dims.Add(input[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= input[i];
        dims.Add(merged);
        for (int i = e + 1; i < input.Rank; i++) dims.Add(input[i]);
        return dims.ToArray();
    }
}
