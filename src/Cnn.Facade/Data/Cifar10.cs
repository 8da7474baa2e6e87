using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>
/// Reads the CIFAR-10 binary version (data_batch_1.bin .. data_batch_5.bin, test_batch.bin): a file is a sequence
/// of 3073-byte records, one label byte (0..9) followed by 3072 pixel bytes in channel-major order
/// (1024 red, 1024 green, 1024 blue, each 32 x 32 row-major).
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: one label and 3 x 32 x 32 pixels.</summary>
    public const int RecordBytes = 1 + PixelBytes;

    private const int PixelBytes = 3 * 32 * 32;

    /// <summary>The class names by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Reads one batch file: images float32 [N, 3, 32, 32] with values <c>byte / 255</c> in [0, 1], labels 0..9.</summary>
    /// <exception cref="InvalidDataException">
    /// The file is empty, its length is not a multiple of 3073 bytes, or a label is above 9; the message names the file.
    /// </exception>
    public static TensorDataset ReadBatch(string path) => ReadBatches(path);

    /// <summary>Reads several batch files and concatenates their samples in the order given.</summary>
    /// <exception cref="InvalidDataException">One of the files is malformed (see <see cref="ReadBatch"/>).</exception>
    public static TensorDataset ReadBatches(params string[] paths)
    {
        if (paths.Length == 0)
            throw new ArgumentException("Cifar10.ReadBatches expects at least one file, e.g. data_batch_1.bin.", nameof(paths));
        var lengths = new long[paths.Length];
        long records = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            lengths[f] = new FileInfo(paths[f]).Length;
            if (lengths[f] == 0 || lengths[f] % RecordBytes != 0)
                throw new InvalidDataException($"CIFAR-10 batch file '{paths[f]}': expected a positive multiple of {RecordBytes} bytes (1 label + 3072 pixels per image) but the file has {lengths[f]} bytes{(lengths[f] == 0 ? "" : $" ({lengths[f] / RecordBytes} whole records and {lengths[f] % RecordBytes} bytes left over; truncated?)")}.");
            records += lengths[f] / RecordBytes;
            if (records > Array.MaxLength / PixelBytes)
                throw new InvalidDataException($"CIFAR-10 batch file '{paths[f]}': expected at most {Array.MaxLength / PixelBytes} images in all but the files up to this one hold {records}.");
        }

        var values = new float[records * PixelBytes];
        var labels = new int[records];
        var record = new byte[RecordBytes];
        int n = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            using var stream = File.OpenRead(paths[f]);
            if (stream.Length != lengths[f])
                throw new InvalidDataException($"CIFAR-10 batch file '{paths[f]}': expected {lengths[f]} bytes but it changed to {stream.Length} while being read.");
            for (long r = 0; r < lengths[f] / RecordBytes; r++, n++)
            {
                stream.ReadExactly(record);
                if (record[0] > 9)
                    throw new InvalidDataException($"CIFAR-10 batch file '{paths[f]}': expected labels 0..9 but record {r} (byte offset {r * RecordBytes}) has label {record[0]}; is this the binary (not Python) version of CIFAR-10?");
                labels[n] = record[0];
                var dst = values.AsSpan(n * PixelBytes, PixelBytes);
                TensorPrimitives.ConvertTruncating<byte, float>(record.AsSpan(1), dst);
                TensorPrimitives.Divide(dst, 255f, dst);
            }
        }
        return new TensorDataset(Tensor.FromArray(values, [(int)records, 3, 32, 32]), labels);
    }
}
