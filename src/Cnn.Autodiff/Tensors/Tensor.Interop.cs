using System.Diagnostics.CodeAnalysis;
using SysTensors = System.Numerics.Tensors;

namespace Cnn.Autodiff;

// NOTE: System.Numerics.Tensors.Tensor<T> is marked experimental (SYSLIB5001) in .NET 10; the
// conversion is a user convenience, so the diagnostic is acknowledged here and nowhere else.
#pragma warning disable SYSLIB5001
public sealed partial class Tensor
{
    /// <summary>A copy as a System.Numerics.Tensors tensor of the same shape.</summary>
    public SysTensors.Tensor<T> ToSystemTensor<T>() where T : unmanaged
    {
        var data = Array<T>();
        var lengths = Shape.Rank == 0 ? new nint[] { 1 } : System.Array.ConvertAll(Shape.ToArray(), d => (nint)d);
        return SysTensors.Tensor.Create((T[])data.Clone(), lengths);
    }

    /// <summary>A copy of a System.Numerics.Tensors tensor (float or double elements).</summary>
    public static Tensor FromSystemTensor<T>(SysTensors.Tensor<T> t) where T : unmanaged
    {
        var dims = new int[t.Rank];
        for (int i = 0; i < t.Rank; i++) dims[i] = checked((int)t.Lengths[i]);
        var data = new T[checked((int)t.FlattenedLength)];
        t.FlattenTo(data);
        return Own(data, dims);
    }
}
#pragma warning restore SYSLIB5001
