using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class ReadAheadStreamTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(ReadAheadStream.BlockSize)]
    [DataRow(ReadAheadStream.BlockSize * ReadAheadStream.Blocks * 2 + 12345)]
    public void It_returns_every_byte_of_the_inner_stream_in_order(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        using var ahead = new ReadAheadStream(new PipeLikeStream(data));

        var copy = new MemoryStream();
        var buffer = new byte[5000];
        int read;
        while ((read = ahead.Read(buffer, 0, buffer.Length)) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        CollectionAssert.AreEqual(data, copy.ToArray());
        Assert.AreEqual(0, ahead.Read(buffer, 0, buffer.Length), "the end stays the end");
    }

    [TestMethod]
    public void A_failure_of_the_inner_stream_reaches_the_reader_after_the_bytes_before_it()
    {
        var data = new byte[ReadAheadStream.BlockSize + 10];
        using var ahead = new ReadAheadStream(new PipeLikeStream(data, failAtEnd: true));

        var buffer = new byte[ReadAheadStream.BlockSize];
        Assert.AreEqual(ReadAheadStream.BlockSize, ahead.Read(buffer, 0, buffer.Length));
        Assert.ThrowsExactly<IOException>(() => ahead.Read(buffer, 0, buffer.Length));
    }

    [TestMethod]
    public void Disposing_it_before_the_end_stops_the_reading_ahead()
    {
        var endless = new PipeLikeStream(null);
        var ahead = new ReadAheadStream(endless);
        Assert.AreEqual(10, ahead.Read(new byte[10], 0, 10));

        ahead.Dispose();
        var readSoFar = endless.BytesRead;
        Thread.Sleep(50);

        Assert.AreEqual(readSoFar, endless.BytesRead, "read after it was disposed");
        Assert.IsTrue(readSoFar <= (long)ReadAheadStream.BlockSize * (ReadAheadStream.Blocks + 2), $"read {readSoFar} bytes ahead: more than its blocks hold");
    }

    /// <summary>A stream that returns at most 7000 bytes a read, as a pipe does; endless without data; optionally failing at its end.</summary>
    private sealed class PipeLikeStream(byte[]? data, bool failAtEnd = false) : ForwardOnlyStream
    {
        private long _position;

        public long BytesRead => Interlocked.Read(ref _position);

        public override int Read(byte[] buffer, int offset, int count)
        {
            var take = (int)Math.Min(Math.Min(count, 7000), data is null ? int.MaxValue : data.Length - _position);
            if (take == 0 && failAtEnd)
            {
                throw new IOException("the pipe broke");
            }

            if (data is not null)
            {
                Array.Copy(data, _position, buffer, offset, take);
            }

            Interlocked.Add(ref _position, take);
            return take;
        }
    }
}
