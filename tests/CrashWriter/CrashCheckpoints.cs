using Cnn.Autodiff;

/// <summary>
/// The checkpoints the crash writer writes: A is small; B holds 50 tensors of 256K float32 values (50 MB), tensor k
/// filled with k + 0.5, so a reader can tell a complete B from a torn one.
/// The crash test compiles this file too (linked from tests/Unit).
/// </summary>
internal static class CrashCheckpoints
{
    public const int BTensors = 50, BTensorSize = 1 << 18;

    public static ParamTree<Tensor> A() => ParamTree.Of(("layer.weight", Tensor.Full([4, 3], 1.25)), ("layer.bias", Tensor.Full([4], -0.75)));

    public static ParamTree<Tensor> B()
    {
        var entries = new (string, object)[BTensors];
        for (int k = 0; k < BTensors; k++) entries[k] = ($"block{k}", Tensor.Full([BTensorSize], k + 0.5));
        return ParamTree.Of(entries);
    }
}
