namespace SlmOps.Runtime.Tests;

public class SlmTensorTests
{
    [Fact]
    public void Create_wraps_the_array_without_copying()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var tensor = SlmTensor<float>.Create(data, 2, 3);

        data[4] = 42;

        Assert.Equal(42, tensor[1, 1]);
        Assert.Equal(new long[] { 2, 3 }, tensor.Shape.ToArray());
        Assert.Equal(2, tensor.Rank);
        Assert.Equal(6, tensor.ElementCount);
        Assert.Equal(SlmElementType.Float, tensor.ElementType);
    }

    [Fact]
    public void Create_copies_the_shape_so_later_changes_do_not_leak_in()
    {
        long[] shape = { 2, 3 };
        var tensor = SlmTensor<int>.Create(new int[6], shape);

        shape[0] = 99;

        Assert.Equal(2, tensor.Shape[0]);
    }

    [Fact]
    public void Create_rejects_an_element_count_that_does_not_fill_the_shape()
    {
        var ex = Assert.Throws<ArgumentException>(() => SlmTensor<long>.Create(new long[5], 2, 3));

        Assert.Contains("[2, 3] holds 6 elements, but 5 were given", ex.Message);
    }

    [Fact]
    public void Create_rejects_a_negative_dimension()
    {
        var ex = Assert.Throws<ArgumentException>(() => SlmTensor<float>.Create(new float[0], -1, 3));

        Assert.Contains("negative", ex.Message);
    }

    [Fact]
    public void Create_rejects_element_types_onnx_has_no_name_for()
    {
        Assert.Throws<NotSupportedException>(() => SlmTensor<char>.Create(new char[1], 1));
    }

    [Fact]
    public void A_scalar_has_rank_zero_and_one_element()
    {
        var scalar = SlmTensor<double>.Create(new[] { 2.5 });

        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal("[]", scalar.ShapeText);
    }

    [Fact]
    public void Create_over_a_memory_slice_uses_only_that_slice()
    {
        var buffer = new byte[] { 9, 1, 2, 3, 9 };
        var tensor = SlmTensor<byte>.Create(buffer.AsMemory(1, 3), 3);

        Assert.Equal(new byte[] { 1, 2, 3 }, tensor.ToArray());
    }

    [Fact]
    public void Indexers_address_elements_in_row_major_order_and_write_through()
    {
        var tensor = SlmTensor<int>.Create(Enumerable.Range(0, 24).ToArray(), 2, 3, 4);

        Assert.Equal(1 * 12 + 2 * 4 + 3, tensor[1, 2, 3]);
        tensor[0, 1, 0] = -7;
        Assert.Equal(-7, tensor.Span[4]);
    }

    [Fact]
    public void Indexers_reject_the_wrong_number_of_indices_and_out_of_range_indices()
    {
        var tensor = SlmTensor<int>.Zeros(2, 3);

        Assert.Throws<ArgumentException>(() => tensor[1]);
        Assert.Throws<IndexOutOfRangeException>(() => tensor[0, 3]);
        Assert.Throws<IndexOutOfRangeException>(() => tensor[-1, 0]);
    }

    [Fact]
    public void Zeros_allocates_default_elements_of_the_given_shape()
    {
        var tensor = SlmTensor<Half>.Zeros(1, 4);

        Assert.Equal(4, tensor.Span.Length);
        Assert.All(tensor.ToArray(), h => Assert.Equal(Half.Zero, h));
        Assert.Equal("SlmTensor<float16> [1, 4]", tensor.ToString());
    }
}
