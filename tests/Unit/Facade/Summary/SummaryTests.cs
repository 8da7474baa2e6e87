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
        var rf = summary.Rows[^1].Field!.Value;
        Assert.Equal(3 + 2 * 2 * 2 + 1 * 3 * 2, rf.Size);   // 3, then 11, then 17
        Assert.Equal(2 * 1 * 3, rf.Jump);
        var field = (Size: (int)rf.Size, Jump: (int)rf.Jump);

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

    [Fact]
    public void Of_FashionLeNetArchitecture_ExpandsFeaturesAndClassifierWithSameTotals()
    {
        var s = Summary.Of(new FashionLeNet(), [1, 1, 28, 28]);
        Assert.Equal(["features", "features.0", "features.1", "features.2", "features.3", "features.4", "features.5",
            "classifier", "classifier.0", "classifier.1", "classifier.2", "classifier.3"], s.Rows.Select(r => r.Name).ToArray());
        Assert.Equal(421_642, s.TotalParameters);
        Assert.Equal(225_792 + 3_612_672 + 401_408 + 1_280, s.MultiplyAdds);
        Assert.True(s.MultiplyAddsComplete);
        Assert.Equal(new ReceptiveField(10, 4), s.Rows[0].Field);
    }

    [Fact]
    public void Of_ResNet18Cifar_ParametersAndMultiplyAddsByFormula()
    {
        var s = Summary.Of(new ResNet18Cifar(), [1, 3, 32, 32]);
        Assert.Equal(11_173_962, s.TrainableParameters);
        // Running statistics: 2 per channel of each of the 20 batch norms: 2 * (64 + 4*64 + 5*128 + 5*256 + 5*512).
        Assert.Equal(2 * (64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512), s.NonTrainableParameters);
        // Convolutions and the linear layer, Cout*H*W*Cin*k*k at 1x3x32x32:
        //   stem 64*32*32*3*9                                         =   1,769,472
        //   layer1: 4 convs 64*32*32*64*9                              = 150,994,944
        //   layer2: 128*16*16*64*9 + 3 * 128*16*16*128*9 + 1x1 shortcut 128*16*16*64
        //                                                             = 134,217,728, and layer3, layer4 the same
        //   fc 512*10                                                 =       5,120
        //   total 555,422,720: the commonly quoted ~0.56 GMACs of ResNet-18 on CIFAR.
        const long convAndLinear = 1_769_472 + 150_994_944 + 3 * 134_217_728L + 5_120;
        Assert.Equal(555_422_720, convAndLinear);
        // Batch norm, one per element: stem 64*32*32, layer1 4 * 64*32*32, layer2 5 * 128*16*16 (with the
        // shortcut's), layer3 5 * 256*8*8, layer4 5 * 512*4*4.
        const long batchNorm = 65_536 + 4 * 65_536 + 5 * 32_768 + 5 * 16_384 + 5 * 8_192;
        Assert.Equal(convAndLinear + batchNorm, s.MultiplyAdds);
        Assert.True(s.MultiplyAddsComplete);
        Assert.Equal(Shape.Create([1, 10]), s.OutputShape);
        // Each 3x3 conv adds 2 * (the jump before it); a stage's first conv (stride 2) runs at the old jump.
        // Stem 3; layer1 + 4*2*1 = 11; layer2 + 2*1 + 3*2*2 = 25; layer3 + 2*2 + 3*2*4 = 53; layer4 + 2*4 + 3*2*8 = 109, jump 8.
        Assert.Equal(new ReceptiveField(109, 8), s.Rows.Single(r => r.Name == "layer4").Field);
    }

    [Fact]
    public void Of_BasicBlockWithProjection_ShortcutReadsBlockInputAndRowIsResidual()
    {
        var s = Summary.Of(new Sequential(new BasicBlock(4, 8, 2)), [2, 4, 9, 9]);
        Assert.Equal(["0", "0.conv1", "0.bn1", "0.conv2", "0.bn2", "0.shortcut", "0.shortcut.0", "0.shortcut.1"], s.Rows.Select(r => r.Name).ToArray());
        var block = s.Rows[0];
        Assert.True(block.IsResidual);
        Assert.True(block.IsContainer);
        var shortcut = s.Rows.Single(r => r.Name == "0.shortcut");
        Assert.Equal(Shape.Create([2, 4, 9, 9]), shortcut.InputShape);
        Assert.Equal(new ReceptiveField(1, 2), shortcut.Field);
        // Main path: 3x3 stride 2 (RF 3, jump 2), 3x3 (RF 3 + 2*2 = 7); the 1x1 shortcut's field lies inside it.
        Assert.Equal(new ReceptiveField(7, 2), block.Field);
        // conv1 8*5*5*4*9, conv2 8*5*5*8*9, shortcut 8*5*5*4, three batch norms 8*5*5 each; batch 2.
        Assert.Equal(2L * (8 * 25 * 4 * 9 + 8 * 25 * 8 * 9 + 8 * 25 * 4 + 3 * 8 * 25), s.MultiplyAdds);
        Assert.Equal(new BasicBlock(4, 8, 2).ParameterCount(), s.TrainableParameters);
        Assert.Contains("0 (BasicBlock, residual)", s.ToString());
    }

    [Fact]
    public void Of_BasicBlockIdentity_FieldIsMainPath()
    {
        var s = Summary.Of(new BasicBlock(3, 3), [1, 3, 6, 6]);
        Assert.Equal(["conv1", "bn1", "conv2", "bn2"], s.Rows.Select(r => r.Name).ToArray());
        Assert.Equal(new ReceptiveField(5, 1), s.Rows[^1].Field);
    }

    [Fact]
    public void Of_Bottleneck_CountsEveryConvAndBatchNorm()
    {
        var block = new Bottleneck(8, 2, 2);
        var s = Summary.Of(block, [1, 8, 6, 6]);
        // conv1 1x1 2*6*6*8, conv2 3x3 stride 2 2*3*3*2*9, conv3 1x1 8*3*3*2, shortcut 8*3*3*8; bn 2*36 + 2*9 + 8*9 + 8*9.
        Assert.Equal(2 * 36 * 8 + 2 * 9 * 2 * 9 + 8 * 9 * 2 + 8 * 9 * 8 + (2 * 36 + 2 * 9 + 8 * 9 + 8 * 9), s.MultiplyAdds);
        Assert.Equal(block.ParameterCount(), s.TrainableParameters);
        Assert.Equal(2 * (2 + 2 + 8 + 8), s.NonTrainableParameters);
    }

    [Fact]
    public void Builtin_BatchNorm2d_TwoParametersAndTwoStatesPerChannel()
    {
        var s = Summary.Of(new Sequential(new Conv2d(1, 3, 3), new BatchNorm2d(3)), [2, 1, 6, 6]);
        var bn = s.Rows[1];
        Assert.Equal(6, bn.Parameters);
        Assert.Equal(6, bn.State);
        Assert.Equal(2 * 3 * 4 * 4, bn.MultiplyAdds);
        Assert.Equal(new ReceptiveField(3, 1), bn.Field);
        Assert.Equal(6, s.NonTrainableParameters);
    }

    [Theory]
    [InlineData(3, 2, 1, 4, 1, 2, true)]
    [InlineData(4, 6, 2, 1, 2, 1, false)]
    public void Builtin_ConvTranspose2d_MultiplyAddsPerInputElementAndParameterFormula(int cin, int cout, int groups, int stride, int k, int padding, bool bias)
    {
        var t = new ConvTranspose2d(cin, cout, k, stride, padding, Groups: groups, Bias: bias);
        Shape input = [2, cin, 5, 4];
        var info = LayerDescribers.Builtin(t, input, t.OutputShape(input))!;
        Assert.Equal(t.ParameterCount(), info.Parameters);
        Assert.Equal(2L * cin * 5 * 4 * (cout / groups) * k * k, info.MultiplyAdds);
    }

    [Fact]
    public void ThroughTransposed_EveryKernelStrideDilation_MatchesLargestSetOfInputsOneOutputReads()
    {
        // Output p of a transposed convolution reads input i when i*s - pad + a*d = p for some a in 0..k-1; the
        // padding only shifts p, so take pad 0 and every p over a few periods.
        for (int k = 1; k <= 5; k++)
            for (int s = 1; s <= 4; s++)
                for (int d = 1; d <= 4; d++)
                {
                    int widest = 0;
                    for (int p = 0; p < 64; p++)
                    {
                        int lo = int.MaxValue, hi = int.MinValue;
                        for (int a = 0; a < k; a++)
                            if ((p - a * d) % s == 0 && p - a * d >= 0) { lo = Math.Min(lo, (p - a * d) / s); hi = Math.Max(hi, (p - a * d) / s); }
                        if (hi >= lo) widest = Math.Max(widest, hi - lo + 1);
                    }
                    var field = new ReceptiveField(1, 1).ThroughTransposed(k, s, d);
                    Assert.True(widest == field.Size, $"k {k}, s {s}, d {d}: an output reads up to {widest} inputs but the field says {field.Size}");
                    Assert.Equal(1.0 / s, field.Jump);
                }
    }

    [Fact]
    public void Of_ConvTransposeAfterPooling_DividesJumpByStride()
    {
        // 2x2 pool (RF 2, jump 2), 2x2 stride-2 transposed conv (one input each: RF 2, jump 1), 3x3 conv (RF 2 + 2 = 4).
        var s = Summary.Of(new Sequential(new MaxPool2d(2), new ConvTranspose2d(1, 1, 2, 2), new Conv2d(1, 1, 3, Padding: 1)), [1, 1, 8, 8]);
        Assert.Equal([new(2, 2), new(2, 1), new(4, 1)], s.Rows.Select(r => r.Field!.Value).ToArray());
        Assert.Equal(Shape.Create([1, 1, 8, 8]), s.OutputShape);
    }

    [Theory]
    [InlineData(8, 8, 4, 4, "Window")]
    [InlineData(8, 8, 1, 1, "Global")]
    [InlineData(7, 7, 2, 2, "Unknown")]
    [InlineData(8, 4, 4, 4, "Unknown")]
    public void Builtin_AdaptiveAvgPool2d_WindowOnlyWhenWindowsAreEqual(int h, int w, int oh, int ow, string effect)
    {
        var pool = new AdaptiveAvgPool2d(oh, ow);
        Shape input = [1, 2, h, w];
        var info = LayerDescribers.Builtin(pool, input, pool.OutputShape(input))!;
        Assert.Equal(effect, info.Spatial.GetType().Name);
        if (info.Spatial is SpatialEffect.Window win) Assert.Equal((h / oh, h / oh, 1), (win.Kernel, win.Stride, win.Dilation));
    }

    [Fact]
    public void Of_PoolingAndActivations_KnownWithoutMultiplyAdds()
    {
        var net = new Sequential(new AvgPool2d(3, 2, 1), new LeakyReLU(), new Sigmoid(), new Tanh(), new Dropout(), new GlobalAvgPool());
        var s = Summary.Of(net, [1, 2, 8, 8]);
        Assert.True(s.MultiplyAddsComplete);
        Assert.Equal(0, s.MultiplyAdds);
        Assert.Equal(new ReceptiveField(3, 2), s.Rows[0].Field);
        Assert.All(s.Rows.Skip(1).Take(4), r => Assert.Equal(new ReceptiveField(3, 2), r.Field));
        Assert.Null(s.Rows[^1].Field);
    }

    /// <summary>A composite with its own wiring (children summed, not chained): the summary must not expand it as a sequence.</summary>
    private sealed record Parallel(int Channels) : Composite
    {
        public override System.Collections.Immutable.ImmutableArray<(string Name, ILayer Layer)> Children =>
            [("a", new Conv2d(Channels, Channels, 1)), ("b", new Conv2d(Channels, Channels, 3, Padding: 1))];

        public override LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
        {
            var s = new Scope(p, ctx);
            return new LayerResult(s.Run("a", Children[0].Layer, x) + s.Run("b", Children[1].Layer, x), s.State);
        }

        public override Shape OutputShape(Shape input) => input;
    }

    [Fact]
    public void Of_CompositeWithOwnForward_OneRowWithUnknownMultiplyAdds()
    {
        var s = Summary.Of(new Sequential(new Parallel(2)), [1, 2, 5, 5]);
        var row = Assert.Single(s.Rows);
        Assert.Equal("Parallel", row.Type);
        Assert.Null(row.MultiplyAdds);
        Assert.Equal(new Parallel(2).ParameterCount(), row.Parameters);
        Assert.False(s.MultiplyAddsComplete);
    }

    [Fact]
    public void ToString_FractionalJump_PrintedAsDecimal()
    {
        var text = Summary.Of(new ConvTranspose2d(1, 1, 3, 2), [1, 1, 4, 4]).ToString();
        Assert.Contains("0.5", text);
    }
}
