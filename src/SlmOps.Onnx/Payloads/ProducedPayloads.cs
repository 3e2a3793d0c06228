namespace SlmOps.Onnx;

/// <summary>Computed payloads of one <see cref="PayloadGroup"/>; disposed once all are written.</summary>
public abstract class ProducedPayloads : IDisposable
{
    /// <summary>The payload of header <paramref name="index"/> of the group.</summary>
    public abstract ReadOnlySpan<byte> Get(int index);

    /// <summary>Writes the payload of header <paramref name="index"/>; returns how many bytes it wrote.</summary>
    public virtual long WriteTo(int index, Stream destination)
    {
        var payload = Get(index);
        destination.Write(payload);
        return payload.Length;
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
