namespace Cnn.Autodiff;

/// <summary>
/// The array behind a tensor and its reshaped views. <see cref="Data"/> becomes null when the array is
/// released for reuse (by a differentiation run with <see cref="DiffOptions.ReleaseIntermediates"/>, or by a
/// <see cref="TensorScope"/> that ends), so every tensor that still refers to it fails loudly instead of
/// reading reused memory.
/// </summary>
internal sealed class TensorStorage(Array data)
{
    /// <summary>The elements (float[] or double[]), or null once released.</summary>
    internal Array? Data { get; private set; } = data;

    /// <summary>Why the array was released, as the end of the sentence "This tensor was ..."; null while it is held.</summary>
    internal string? ReleasedBecause { get; private set; }

    /// <summary>Detaches the array from every tensor that shares this storage and returns it.</summary>
    /// <param name="because">What released it and what the user can do instead, completing "This tensor was ...".</param>
    internal Array Release(string because)
    {
        var data = Data ?? throw new InvalidOperationException("A tensor storage was released twice.");
        Data = null;
        ReleasedBecause = because;
        return data;
    }
}
