namespace Cnn.Autodiff;

/// <summary>
/// The array behind a tensor and its reshaped views. <see cref="Data"/> becomes null when a
/// differentiation releases the array for reuse (<see cref="DiffOptions.ReleaseIntermediates"/>), so every
/// tensor that still refers to it fails loudly instead of reading reused memory.
/// </summary>
internal sealed class TensorStorage(Array data)
{
    /// <summary>The elements (float[] or double[]), or null once released.</summary>
    internal Array? Data { get; private set; } = data;

    /// <summary>Detaches the array from every tensor that shares this storage and returns it.</summary>
    internal Array Release()
    {
        var data = Data ?? throw new InvalidOperationException("A tensor storage was released twice.");
        Data = null;
        return data;
    }
}
