namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>x with axes <paramref name="dim0"/> and <paramref name="dim1"/> swapped, as torch.transpose; a <see cref="Permute"/>.</summary>
    public static Var Transpose(Var x, int dim0, int dim1)
    {
        int a = CheckAxis("Transpose", x.Shape, dim0), b = CheckAxis("Transpose", x.Shape, dim1);
        var dims = new int[x.Rank];
        for (int k = 0; k < dims.Length; k++) dims[k] = k;
        (dims[a], dims[b]) = (b, a);
        return Permute(x, dims);
    }
}
