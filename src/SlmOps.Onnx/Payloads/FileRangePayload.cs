using Microsoft.Win32.SafeHandles;

namespace SlmOps.Onnx;

/// <summary>
/// One payload copied from a byte range of an open file in 1 MiB reads, never held whole and never mapped (reading
/// through the page cache is faster than faulting in a mapping for a straight copy, and keeps memory flat). The handle
/// belongs to the source model; <paramref name="path"/> only names it in messages.
/// </summary>
public sealed class FileRangePayload(SafeFileHandle handle, string path, long offset, long length) : ProducedPayloads
{
    public override ReadOnlySpan<byte> Get(int index) => throw new NotSupportedException("A file range payload is only streamed.");

    /// <summary>
    /// Streams the range. A source that cannot be read or ends early is an <see cref="OnnxModelException"/> about the
    /// source (SLM2009 / SLM2003), so it is not mistaken for a failure to write the destination.
    /// </summary>
    public override long WriteTo(int index, Stream destination)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20));
        try
        {
            long done = 0;
            while (done < length)
            {
                int read = ReadSource(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), offset + done);
                if (read == 0)
                {
                    throw new OnnxModelException(OnnxErrorCodes.TruncatedOrCorrupt, path,
                        $"The file ended {length - done:N0} bytes before the tensor payload at offset {offset:N0} did; it was truncated or replaced while it was being read. Run again.");
                }
                destination.Write(buffer, 0, read);
                done += read;
            }
            return done;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int ReadSource(SafeFileHandle handle, Span<byte> buffer, long position)
    {
        try
        {
            return RandomAccess.Read(handle, buffer, position);
        }
        catch (IOException ex)
        {
            throw new OnnxModelException(OnnxErrorCodes.FileAccessFailed, path, $"The file cannot be read any more: {ex.Message}", ex);
        }
    }
}
