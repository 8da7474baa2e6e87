using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Layers;

namespace Cnn.Unit.Facade.Summaries;

public class SummaryTests
{
    private static Sequential FashionLeNet() => new(
        new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10));

    [Fact]
    public void Of_FashionLeNet_RowsMatchHandComputedFormulas()
    {
        var s = Summary.Of(FashionLeNet(), [1, 1, 28, 28]);
        // Params: conv Cout*(Cin*k*k + 1), linear Out*(In + 1).
        // MACs:   conv N*Cout*Hout*Wout*Cin*k*k, linear rows*In*Out.
        // RF_l = RF_{l-1} + (k_l - 1)*d_l*jump_{l-1};  jump_l = jump_{l-1}*s_l;  RF_0 = jump_0 = 1.
        (string Name, string Type, int[] Shape, long Params, long Macs, int? Rf, int? Jump)[] expected =
        [
            ("0", "Conv2d",    [1, 32, 28, 28], 32 * (1 * 9 + 1),   1L * 32 * 28 * 28 * 1 * 9,  1 + 2 * 1, 1),      // 320; 225,792; RF 3
            ("1", "ReLU",      [1, 32, 28, 28], 0, 0, 3, 1),
            ("2", "MaxPool2d", [1, 32, 14, 14], 0, 0, 3 + 1 * 1, 2),                                        // RF 4, jump 1*2
            ("3", "Conv2d",    [1, 64, 14, 14], 64 * (32 * 9 + 1),  1L * 64 * 14 * 14 * 32 * 9, 4 + 2 * 2, 2),      // 18,496; 3,612,672; RF 8
            ("4", "ReLU",      [1, 64, 14, 14], 0, 0, 8, 2),
            ("5", "MaxPool2d", [1, 64, 7, 7],   0, 0, 8 + 1 * 2, 4),                                        // RF 10, jump 2*2
            ("6", "Flatten",   [1, 3136],       0, 0, null, null),                                          // every output sees the whole image
            ("7", "Linear",    [1, 128],        128 * (3136 + 1),   3136L * 128, null, null),                    // 401,536; 401,408
            ("8", "ReLU",      [1, 128],        0, 0, null, null),
            ("9", "Linear",    [1, 10],         10 * (128 + 1),     128L * 10, null, null),                      // 1,290; 1,280
        ];
        Assert.Equal(expected.Length, s.Rows.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var (name, type, shape, p, macs, rf, jump) = expected[i];
            var r = s.Rows[i];
            Assert.Equal(name, r.Name);
            Assert.Equal(type, r.Type);
            Assert.Equal(Shape.Create(shape), r.OutputShape);
            Assert.Equal(p, r.Parameters);
            Assert.Equal(macs, r.MultiplyAdds);
            Assert.Equal(rf, r.Field?.Size);
            Assert.Equal(jump, r.Field?.Jump);
            Assert.Equal(0, r.Depth);
            Assert.False(r.IsContainer);
        }
        Assert.Equal(421_642, s.TotalParameters);
        Assert.Equal(421_642, s.TrainableParameters);
        Assert.Equal(0, s.NonTrainableParameters);
        Assert.Equal(225_792 + 3_612_672 + 401_408 + 1_280, s.MultiplyAdds);
        Assert.True(s.MultiplyAddsComplete);
        Assert.Equal(Shape.Create([1, 10]), s.OutputShape);
        Assert.Equal(FashionLeNet().ParameterCount(), s.TotalParameters);
    }

    [Fact]
    public void Of_BatchOfEight_ScalesMultiplyAddsNotParameters()
    {
        var one = Summary.Of(FashionLeNet(), [1, 1, 28, 28]);
        var eight = Summary.Of(FashionLeNet(), [8, 1, 28, 28]);
        Assert.Equal(8 * one.MultiplyAdds, eight.MultiplyAdds);
        Assert.Equal(one.TotalParameters, eight.TotalParameters);
    }

    [Fact]
    public void Of_StridedDilatedStack_ReceptiveFieldAndJumpByHand()
    {
        var net = new Sequential(
            new Conv2d(1, 2, 3, Stride: 2),                 // RF 1 + 2*1*1 = 3,    jump 2
            new Conv2d(2, 2, 3, Dilation: 2),               // RF 3 + 2*2*2 = 11,   jump 2
            new MaxPool2d(2),                               // RF 11 + 1*1*2 = 13,  jump 4
            new Conv2d(2, 1, 3, Stride: 2, Dilation: 3));   // RF 13 + 2*3*4 = 37,  jump 8
        var s = Summary.Of(net, [1, 1, 64, 64]);
        Assert.Equal([new(3, 2), new(11, 2), new(13, 4), new(37, 8)], s.Rows.Select(r => r.Field!.Value).ToArray());
        // Shapes: (64-3)/2+1 = 31; 31 - 2*2 = 27; 27/2 = 13; (13 - 3*2 - 1)/2 + 1 = 4.
        Assert.Equal(Shape.Create([1, 1, 4, 4]), s.OutputShape);
    }

    [Fact]
    public void Of_StridedDilatedConvs_ReceptiveFieldEqualsGradientSupport()
    {
        // With all-one weights and no activations, the gradient of one output pixel with respect to the input
        // is positive exactly on its receptive field, so the field's side can be measured.
        var net = new Sequential(
            new Conv2d(1, 1, 3, Stride: 2, Bias: false),
            new Conv2d(1, 1, 3, Dilation: 2, Bias: false),
            new Conv2d(1, 1, 2, Stride: 3, Dilation: 3, Bias: false));
        var p = net.Init(Rng.Seed(0)).Map(t => t.FullLike(1.0));
        var x = Tensor.Ones([1, 1, 40, 40], DType.Float64);
        var summary = Summary.Of(net, x.Shape);
        var field = summary.Rows[^1].Field!.Value;
        Assert.Equal(3 + 2 * 2 * 2 + 1 * 3 * 2, field.Size);   // 3, then 11, then 17
        Assert.Equal(2 * 1 * 3, field.Jump);

        var outShape = summary.OutputShape;
        Assert.True(outShape[2] >= 2);
        var g = Diff.Grad(v =>
        {
            var y = net.Apply(p.Map(t => new Var(t.Cast(DType.Float64))), v);
            var pick = Tensor.Generate(y.Shape, DType.Float64, i => i == 0 || i == outShape[3] + 1 ? 1 : 0);   // outputs (0, 0) and (1, 1)
            return Op.Sum(y * new Var(pick));
        })(new Var(x)).Value;
        int Side(int row0, int col0)
        {
            int lo = int.MaxValue, hi = -1;
            for (int j = 0; j < 40; j++)
                if (g[0, 0, row0, j] > 0) { lo = Math.Min(lo, j); hi = Math.Max(hi, j); }
            return hi - lo + 1;
        }
        // Outputs (0,0) and (1,1) each see a field.Size square; they start field.Jump apart, so row 0 shows (0,0)'s field and row Jump+Size-1 only (1,1)'s.
        Assert.Equal(field.Size, Side(0, 0));
        Assert.Equal(field.Size + field.Jump, Side(field.Jump, 0));
        Assert.True(g[0, 0, field.Size + field.Jump - 1, field.Size + field.Jump - 1] > 0);
        Assert.Equal(0.0, g[0, 0, field.Size + field.Jump, 0]);
    }

    [Fact]
    public void Of_NestedSequential_DottedNamesAndContainerTotals()
    {
        var features = new Sequential(new Conv2d(3, 8, 3, Stride: 2), new ReLU(), new Conv2d(8, 8, 3, Dilation: 2));
        var net = new Sequential(features, new Flatten(), new Linear(8 * 11 * 11, 5));
        var s = Summary.Of(net, [2, 3, 32, 32]);
        Assert.Equal(["0", "0.0", "0.1", "0.2", "1", "2"], s.Rows.Select(r => r.Name).ToArray());
        Assert.Equal([0, 1, 1, 1, 0, 0], s.Rows.Select(r => r.Depth).ToArray());
        var container = s.Rows[0];
        Assert.True(container.IsContainer);
        Assert.Equal("Sequential", container.Type);
        Assert.Equal(8 * (27 + 1) + 8 * (72 + 1), container.Parameters);
        Assert.Equal(2L * 8 * 15 * 15 * 27 + 2L * 8 * 11 * 11 * 72, container.MultiplyAdds);
        Assert.Equal(new ReceptiveField(11, 2), container.Field);
        Assert.Equal(Shape.Create([2, 8, 11, 11]), container.OutputShape);
        // The container is not counted twice.
        Assert.Equal(net.ParameterCount(), s.TotalParameters);
        Assert.Equal(container.MultiplyAdds + 2L * 968 * 5, s.MultiplyAdds);
    }

    [Theory]
    [InlineData(4, 6, 3, 1, true)]
    [InlineData(4, 6, 5, 2, false)]
    [InlineData(6, 6, 3, 6, true)]
    public void Builtin_ConvParameterFormula_EqualsInitLeafCount(int cin, int cout, int k, int groups, bool bias)
    {
        var conv = new Conv2d(cin, cout, k, Groups: groups, Bias: bias);
        var info = LayerDescribers.Builtin(conv, [1, cin, 9, 9], conv.OutputShape([1, cin, 9, 9]))!;
        Assert.Equal(conv.ParameterCount(), info.Parameters);
        Assert.Equal((long)cout * (9 - k + 1) * (9 - k + 1) * (cin / groups) * k * k, info.MultiplyAdds);
    }

    [Theory]
    [InlineData(7, 3, true)]
    [InlineData(5, 2, false)]
    public void Builtin_LinearOnRankThree_CountsEveryRow(int fin, int fout, bool bias)
    {
        var lin = new Linear(fin, fout, bias);
        var info = LayerDescribers.Builtin(lin, [2, 3, fin], [2, 3, fout])!;
        Assert.Equal(lin.ParameterCount(), info.Parameters);
        Assert.Equal(2L * 3 * fin * fout, info.MultiplyAdds);
    }

    /// <summary>A layer no describer knows: y = x * scale per channel.</summary>
    private sealed record ChannelScale(int Channels) : Layer
    {
        public override ParamTree<Tensor> Init(Rng rng) => ParamTree.Of(("scale", Tensor.Ones([Channels, 1, 1])));
        public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => x * p["scale"];
        public override Shape OutputShape(Shape input) => input;
    }

    [Fact]
    public void Of_UnknownLayer_FallsBackToOutputShapeAndInit()
    {
        var net = new Sequential(new Conv2d(1, 4, 3), new ChannelScale(4), new Conv2d(4, 4, 3));
        var s = Summary.Of(net, [1, 1, 10, 10]);
        var row = s.Rows[1];
        Assert.Equal("ChannelScale", row.Type);
        Assert.Equal(Shape.Create([1, 4, 8, 8]), row.OutputShape);
        Assert.Equal(4, row.Parameters);
        Assert.Null(row.MultiplyAdds);
        Assert.Null(row.Field);
        Assert.Null(s.Rows[2].Field);
        Assert.False(s.MultiplyAddsComplete);
        Assert.Equal(net.ParameterCount(), s.TotalParameters);
        Assert.Contains("Mult-adds: at least ", s.ToString());
    }

    [Fact]
    public void Of_DescriberForUnknownLayer_IsUsedFirst()
    {
        var net = new Sequential(new Conv2d(1, 4, 3), new ChannelScale(4), new Conv2d(4, 4, 3));
        LayerDescriber pointwise = (layer, input, output) =>
            layer is ChannelScale ? new LayerInfo(output.Size, new SpatialEffect.Pointwise()) : null;
        var s = Summary.Of(net, [1, 1, 10, 10], pointwise);
        Assert.Equal(4 * 8 * 8, s.Rows[1].MultiplyAdds);
        Assert.Equal(4, s.Rows[1].Parameters);
        Assert.Equal(new ReceptiveField(5, 1), s.Rows[2].Field);
        Assert.True(s.MultiplyAddsComplete);
    }

    [Fact]
    public void Of_SingleLeafLayer_OneRowWithEmptyName()
    {
        var s = Summary.Of(new Conv2d(3, 5, 3, Stride: 2), [1, 3, 9, 9]);
        var row = Assert.Single(s.Rows);
        Assert.Equal("", row.Name);
        Assert.Equal(new ReceptiveField(3, 2), row.Field);
        Assert.Contains("Conv2d", s.ToString());
    }

    [Fact]
    public void Of_BadInputShape_ThrowsTheLayersMessage()
    {
        var net = new Sequential(new Sequential(new Conv2d(1, 4, 3)), new Flatten(), new Linear(100, 2));
        var e = Assert.Throws<ArgumentException>(() => Summary.Of(net, [1, 1, 8, 8]));
        Assert.Contains("Linear expects input [..., 100] but got [1, 144]", e.Message);
    }

    [Fact]
    public void ToString_FashionLeNet_AlignedTableWithTotals()
    {
        var text = Summary.Of(FashionLeNet(), [1, 1, 28, 28]).ToString();
        var lines = text.Split('\n');
        Assert.StartsWith("Layer (type)", lines[1]);
        // Header, rows and rules share one width.
        int width = lines[0].Length;
        for (int i = 0; i < 14; i++) Assert.Equal(width, lines[i].Length);
        Assert.Contains("3 (Conv2d)", text);
        Assert.Contains("18,496", text);
        Assert.Contains("3,612,672", text);
        Assert.Contains("Total params: 421,642", text);
        Assert.Contains("Mult-adds: 4,241,152", text);
    }
}
