using System.Runtime.InteropServices;
using SlmOps.Quantization.Fp16;

namespace SlmOps.Quantization.Tests.Fp16;

public class Fp16NarrowingTests
{
    [Fact]
    public void ConvertClamped_ClampsFiniteOverflow_KeepsInfinitiesAndNaN()
    {
        float[] source = [1.5f, 65504f, 65519f, 65520f, 1e6f, -1e30f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-10f, -0f];
        var destination = new Half[source.Length];

        int clamped = Fp16Narrowing.ConvertClamped(source, destination);

        Assert.Equal(3, clamped); // 65520, 1e6, -1e30 (65519 rounds down to 65504 by itself)
        Assert.Equal((Half)1.5f, destination[0]);
        Assert.Equal(Half.MaxValue, destination[1]);
        Assert.Equal(Half.MaxValue, destination[2]);
        Assert.Equal(Half.MaxValue, destination[3]);
        Assert.Equal(Half.MaxValue, destination[4]);
        Assert.Equal(Half.MinValue, destination[5]);
        Assert.Equal(Half.PositiveInfinity, destination[6]);
        Assert.Equal(Half.NegativeInfinity, destination[7]);
        Assert.True(Half.IsNaN(destination[8]));
        Assert.Equal((Half)0f, destination[9]);
        Assert.True(Half.IsNegative(destination[10]));
    }

    [Fact]
    public void ConvertRawData_WritesLittleEndianHalves()
    {
        float[] values = [1f, -2f, 70000f, 0.25f];
        byte[] raw = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

        byte[] half = Fp16Narrowing.ConvertRawData(raw, out int clamped);

        Assert.Equal(1, clamped);
        Assert.Equal(8, half.Length);
        Assert.Equal([(Half)1f, (Half)(-2f), Half.MaxValue, (Half)0.25f], MemoryMarshal.Cast<byte, Half>(half).ToArray());
        Assert.Equal([0x00, 0x3C], half[..2]); // 1.0 = 0x3C00, low byte first
        Assert.Throws<ArgumentException>(() => Fp16Narrowing.ConvertRawData(new byte[3], out _));
    }
}
