using Cnn.Autodiff;

namespace Cnn.Testing;

/// <summary>
/// Shrinking generators of shapes, tensors and layer settings (see <see cref="CaseGen{T}"/>). Every case is
/// built from small bounded integers, its tensor values from a seed, so a failure shrinks to small sizes,
/// simple settings and a small seed.
/// </summary>
public static class Gens
{
    /// <summary>A generator from a function of a <see cref="Draw"/>: <c>Gens.From(d =&gt; d.Int(1, 4) * 2)</c>.</summary>
    public static CaseGen<T> From<T>(Func<Draw, T> build) => new(build);

    /// <summary>Always <paramref name="value"/>.</summary>
    public static CaseGen<T> Constant<T>(T value) => new(_ => value);

    /// <summary>An integer in [min, max], shrinking toward min.</summary>
    public static CaseGen<int> Int(int min, int max) => new(d => d.Int(min, max));

    /// <summary>False or true, shrinking toward false.</summary>
    public static CaseGen<bool> Bool { get; } = new(d => d.Bool());

    /// <summary>One of the items, shrinking toward the first.</summary>
    public static CaseGen<T> Element<T>(params T[] items) => new(d => d.Element<T>(items));

    /// <summary>A seed for tensor values, 0..999999, shrinking toward 0.</summary>
    public static CaseGen<int> Seed { get; } = Int(0, 999_999);

    /// <summary>A shape of rank in [minRank, maxRank] with dimensions in [minDim, maxDim].</summary>
    public static CaseGen<Shape> Shape(int minRank = 1, int maxRank = 4, int minDim = 1, int maxDim = 4) =>
        new(d =>
        {
            var dims = new int[d.Int(minRank, maxRank)];
            for (int i = 0; i < dims.Length; i++) dims[i] = d.Int(minDim, maxDim);
            return dims;
        });

    /// <summary>Shapes of a function's inputs (one generator per input, drawn in order) and a seed.</summary>
    public static CaseGen<InputsCase> Inputs(params CaseGen<Shape>[] shapes) =>
        new(d =>
        {
            var s = new Shape[shapes.Length];
            for (int i = 0; i < s.Length; i++) s[i] = d.From(shapes[i]);
            return new InputsCase(s, d.From(Seed));
        });

    /// <summary>A tensor of a generated shape and <paramref name="dtype"/>; its values come from a generated seed through <see cref="TensorValues"/>.</summary>
    public static CaseGen<Tensor> Tensor(CaseGen<Shape> shape, DType dtype = DType.Float64, TensorValues? values = null) =>
        from s in shape
        from seed in Seed
        select (values ?? TensorValues.Normal).Sample(s, dtype, Rng.Seed(seed));

    /// <summary>
    /// A consistent convolution: groups dividing both channel counts, per-side padding, dilation, stride,
    /// and H, W large enough that the output is at least 1 x 1 (sizes grow from the smallest that fits by 0..MaxExtra).
    /// </summary>
    public static CaseGen<Conv2dCase> Conv2d(Conv2dBounds? bounds = null)
    {
        var b = bounds ?? new Conv2dBounds();
        return new(d =>
        {
            int n = d.Int(1, b.MaxBatch), groups = d.Int(1, b.MaxGroups);
            int cin = groups * d.Int(1, b.MaxChannelsPerGroup), cout = groups * d.Int(1, b.MaxChannelsPerGroup);
            int kh = d.Int(1, b.MaxKernel), kw = b.Square ? kh : d.Int(1, b.MaxKernel);
            int sh = d.Int(1, b.MaxStride), sw = b.Square ? sh : d.Int(1, b.MaxStride);
            int pt = d.Int(0, b.MaxPadding);
            int pb = b.Square ? pt : d.Int(0, b.MaxPadding), pl = b.Square ? pt : d.Int(0, b.MaxPadding), pr = b.Square ? pt : d.Int(0, b.MaxPadding);
            int dh = d.Int(1, b.MaxDilation), dw = b.Square ? dh : d.Int(1, b.MaxDilation);
            int h = Math.Max(1, dh * (kh - 1) + 1 - pt - pb + d.Int(0, b.MaxExtra));
            int w = Math.Max(1, dw * (kw - 1) + 1 - pl - pr + d.Int(0, b.MaxExtra));
            return new Conv2dCase(n, cin, cout, h, w, kh, kw, new Conv2dOptions(sh, sw, pt, pb, pl, pr, dh, dw, groups), d.From(Seed));
        });
    }

    /// <summary>
    /// A consistent pooling: padding at most half the kernel (PyTorch's rule), H and W large enough for one
    /// window, and (with dilation) every window touching the input, so a max pool never yields -inf.
    /// </summary>
    public static CaseGen<Pool2dCase> Pool2d(Pool2dBounds? bounds = null)
    {
        var b = bounds ?? new Pool2dBounds();
        return new(d =>
        {
            int n = d.Int(1, b.MaxBatch), c = d.Int(1, b.MaxChannels);
            var (kh, sh, ph, dh, h) = Axis(d, b);
            var (kw, sw, pw, dw, w) = b.Square ? (kh, sh, ph, dh, d.Int(Math.Max(1, dh * (kh - 1) + 1 - 2 * ph), Math.Max(1, dh * (kh - 1) + 1 - 2 * ph) + b.MaxExtra)) : Axis(d, b);
            d.Assume(SeesInput(h, kh, sh, ph, dh) && SeesInput(w, kw, sw, pw, dw));
            return new Pool2dCase(n, c, h, w, (kh, kw), (sh, sw), (ph, pw), (dh, dw), d.From(Seed));
        });
    }

    private static (int K, int S, int P, int D, int Size) Axis(Draw d, Pool2dBounds b)
    {
        int k = d.Int(1, b.MaxKernel), s = d.Int(1, b.MaxStride), p = d.Int(0, k / 2), dil = d.Int(1, b.MaxDilation);
        int min = Math.Max(1, dil * (k - 1) + 1 - 2 * p);
        return (k, s, p, dil, d.Int(min, min + b.MaxExtra));
    }

    // True when every window position along the axis has a tap inside the input.
    private static bool SeesInput(int size, int k, int s, int p, int dil)
    {
        for (int start = -p; start + dil * (k - 1) < size + p; start += s)
        {
            bool any = false;
            for (int m = 0; m < k && !any; m++) any = start + m * dil >= 0 && start + m * dil < size;
            if (!any) return false;
        }
        return true;
    }
}
