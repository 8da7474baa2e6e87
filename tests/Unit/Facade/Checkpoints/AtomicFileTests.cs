using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using static Cnn.Unit.Facade.Checkpoints.CheckpointFiles;

namespace Cnn.Unit.Facade.Checkpoints;

public class AtomicFileTests
{
    /// <summary>Passes writes through to <paramref name="inner"/> until <paramref name="limit"/> bytes, then fails like a full disk.</summary>
    private sealed class FailingStream(Stream inner, long limit) : Stream
    {
        private long _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > limit)
            {
                int room = (int)(limit - _written);
                inner.Write(buffer[..room]);
                _written = limit;
                throw new IOException("No space left on device (simulated).");
            }
            inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static ParamTree<Tensor> Tree(double value) => ParamTree.Of(
        ("0.weight", Tensor.Full([64, 64], value)), ("0.bias", Tensor.Full([64], value)));

    [Fact]
    public void Write_FailureMidTensorData_LeavesOldFileIntactAndNoTempFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        Checkpoint.Save(path, Tree(1), ParamTree<Tensor>.Empty);
        var before = File.ReadAllBytes(path);

        var ex = Assert.Throws<IOException>(() =>
            AtomicFile.Write(path, s => SafeTensors.Write(new FailingStream(s, limit: 5000), Tree(2))));
        Assert.Contains("simulated", ex.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Names());
        AssertTreesBitEqual(Tree(1), Checkpoint.Read(path).Tensors);
    }

    [Fact]
    public void Write_InvalidTree_FailsBeforeTouchingDisk()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        SafeTensors.Write(path, Tree(1));
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, Tree(2).With("__metadata__", Tensor.Scalar(0))));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["t.safetensors"], dir.Names());
    }

    [Fact]
    public void Write_Success_ReplacesOldFileAndLeavesNoTempFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        Checkpoint.Save(path, Tree(1), ParamTree<Tensor>.Empty);
        Checkpoint.Save(path, Tree(2), ParamTree<Tensor>.Empty);
        AssertTreesBitEqual(Tree(2), Checkpoint.Read(path).Tensors);
        Assert.Equal(["model.safetensors"], dir.Names());
    }

    [Fact]
    public void Write_WriterThrowsBeforeAnyByte_NoFileAppears()
    {
        using var dir = new TempDirectory();
        var path = dir.File("new.bin");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("boom")));
        Assert.Empty(dir.Names());
    }
}
