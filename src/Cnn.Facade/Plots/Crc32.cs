namespace Cnn.Facade;

/// <summary>
/// CRC-32 as PNG and zlib's crc32 define it (ISO 3309 / ITU-T V.42): reflected polynomial 0xEDB88320,
/// initial value and final xor 0xFFFFFFFF. CRC32("123456789") = 0xCBF43926.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>The CRC of the bytes that gave <paramref name="crc"/> followed by <paramref name="data"/> (so CRCs can be computed in pieces).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
