namespace SlmOps.Onnx;

/// <summary>One payload read through a <see cref="PayloadView"/> (a mapped source tensor copied as is).</summary>
public sealed class ViewPayload(PayloadView view) : ProducedPayloads
{
    public override ReadOnlySpan<byte> Get(int index) => view.Bytes;

    public override void Dispose()
    {
        view.Dispose();
        base.Dispose();
    }
}
