using System.Collections.Concurrent;
using System.IO;

namespace BuildSecrets.MSBuild.Leaks;

/// <summary>
/// Reads a stream ahead of its consumer on a thread of its own, into a fixed set of blocks, so
/// that the writer at the other end of a pipe (<c>docker save</c>) is not held up each time the
/// consumer is busy: a pipe holds only 64 KB, and on a loaded machine every wait for the consumer
/// costs a turn of the scheduler. Memory stays flat: the blocks are reused, never more than
/// <see cref="Blocks"/> of <see cref="BlockSize"/> bytes.
/// </summary>
internal sealed class ReadAheadStream : ForwardOnlyStream
{
    internal const int BlockSize = 1 << 20;
    internal const int Blocks = 8;

    private readonly Stream _inner;
    private readonly BlockingCollection<byte[]> _free = new(Blocks);
    private readonly BlockingCollection<(byte[] Block, int Length)> _filled = new(Blocks);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private byte[]? _current;
    private int _currentLength;
    private int _position;
    private bool _ended;

    public ReadAheadStream(Stream inner)
    {
        _inner = inner;
        for (var i = 0; i < Blocks; i++)
        {
            _free.Add(new byte[BlockSize]);
        }

        _reader = Task.Factory.StartNew(ReadAhead, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (count == 0)
        {
            return 0;
        }

        while (_current is null || _position == _currentLength)
        {
            if (_current is not null)
            {
                _free.Add(_current);
                _current = null;
            }

            if (_ended)
            {
                return 0;
            }

            if (!_filled.TryTake(out var next, Timeout.Infinite))
            {
                // The reader has finished: the end of the stream, or its failure.
                _ended = true;
                _reader.GetAwaiter().GetResult();
                return 0;
            }

            (_current, _currentLength, _position) = (next.Block, next.Length, 0);
        }

        var take = Math.Min(count, _currentLength - _position);
        Buffer.BlockCopy(_current, _position, buffer, offset, take);
        _position += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The reader stops at its next block; it is waited for, so that the inner stream is not read after this returns.
            _stop.Cancel();
            try
            {
                _reader.Wait();
            }
            catch (AggregateException)
            {
                // Its failure was reported to the consumer, or the consumer stopped reading first.
            }

            _stop.Dispose();
            _free.Dispose();
            _filled.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Fills free blocks from the inner stream (each as full as the stream allows before it would wait for a new one).</summary>
    private void ReadAhead()
    {
        try
        {
            while (_free.TryTake(out var block, Timeout.Infinite, _stop.Token))
            {
                var length = 0;
                int read;
                while (length < block.Length && (read = _inner.Read(block, length, block.Length - length)) > 0)
                {
                    length += read;
                }

                if (length > 0)
                {
                    _filled.Add((block, length), _stop.Token);
                }

                if (length < block.Length)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            _filled.CompleteAdding();
        }
    }
}
