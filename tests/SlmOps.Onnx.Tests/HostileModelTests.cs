using SlmOps.Testing;

namespace SlmOps.Onnx.Tests;

/// <summary>The crafted models of <see cref="HostileModels"/>: each ends in its coded error, quickly, whatever the load options.</summary>
public sealed class HostileModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, bool> Refused()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (kind, code) in HostileModels.ExpectedCode)
        {
            if (code is null) continue;
            data.Add(kind, false);
            data.Add(kind, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Hostile_model_gives_its_coded_error_naming_the_file(string kind, bool deferPayloads)
    {
        string path = HostileModels.Write(kind, _temp.CreateDirectory("model"));
        var options = new OnnxLoadOptions { DeferPayloadsOfAtLeast = deferPayloads ? 16 : null };

        var ex = LoadWithin(path, options);

        Assert.Equal(HostileModels.ExpectedCode[kind], ex.Code);
        Assert.StartsWith(_temp.FullPath, ex.FilePath);
    }

    [Fact]
    public void A_hard_linked_external_file_is_refused_by_its_link_count_and_the_message_says_how_to_allow_it()
    {
        string path = HostileModels.Write("hard-link-outside", _temp.CreateDirectory("model"));

        var ex = LoadWithin(path, OnnxLoadOptions.Default);

        Assert.Contains("2 hard links", ex.Message);
        Assert.Contains("SlmOpsAllowHardLinks=true", ex.Message);
        Assert.Contains("--allow-hard-links", ex.Message);
    }

    [Fact]
    public void Hard_links_load_when_allowed()
    {
        string path = HostileModels.Write("hard-link-outside", _temp.CreateDirectory("model"));

        using var model = OnnxModelLoader.Load(path, new OnnxLoadOptions { AllowHardLinks = true });

        Assert.Equal(2, model.ExternalDataFiles.Count);
    }

    [Fact]
    public void A_symlink_loop_is_SLM2004_and_says_loop()
    {
        string path = HostileModels.Write("symlink-loop", _temp.CreateDirectory("model"));

        var ex = LoadWithin(path, OnnxLoadOptions.Default);

        Assert.Contains("loop of symbolic links", ex.Message);
    }

    [Fact]
    public void A_FIFO_as_external_data_is_refused_without_blocking()
    {
        string path = HostileModels.Write("fifo", _temp.CreateDirectory("model"));

        var ex = LoadWithin(path, OnnxLoadOptions.Default);

        Assert.Contains("FIFO", ex.Message);
    }

    [Fact]
    public void A_FIFO_as_the_model_is_SLM2001_without_blocking()
    {
        string path = _temp.Combine("model.onnx");
        HostileModels.Run("mkfifo", path);

        var ex = LoadWithin(path, OnnxLoadOptions.Default);

        Assert.Equal("SLM2001", ex.Code);
        Assert.Contains("FIFO", ex.Message);
    }

    [Fact]
    public void A_device_as_the_model_is_SLM2001()
    {
        var ex = LoadWithin("/dev/zero", OnnxLoadOptions.Default);

        Assert.Equal("SLM2001", ex.Code);
        Assert.Contains("device", ex.Message);
    }

    [Fact]
    public void A_zero_size_weight_loads()
    {
        string path = HostileModels.Write("zero-size-weight", _temp.CreateDirectory("model"));

        using var model = OnnxModelLoader.Load(path);

        Assert.Equal([0L, 32L], model.Proto.Graph.Initializer.Single().Dims);
    }

    [Fact]
    public void The_payload_is_read_from_the_file_that_was_checked_even_if_the_path_is_swapped_afterwards()
    {
        string folder = _temp.CreateDirectory("model");
        string path = OnnxModelFactory.WriteWithExternalData(folder);
        using var model = OnnxModelLoader.Load(path);
        string secret = _temp.Combine("secret.bin");
        File.WriteAllBytes(secret, new byte[28]);
        File.Delete(Path.Combine(folder, "b.bin"));
        File.CreateSymbolicLink(Path.Combine(folder, "b.bin"), secret);

        using var reader = model.OpenPayloads();
        using var view = reader.Read(model.Proto.Graph.Initializer.Single(t => t.Name == "B"));

        Assert.Equal(OnnxModelFactory.FloatBytes(OnnxModelFactory.Bias), view.Bytes.ToArray());
    }

    /// <summary>Loads on another thread so a hang fails the test instead of stopping the run.</summary>
    private static OnnxModelException LoadWithin(string path, OnnxLoadOptions options)
    {
        var load = Task.Run(() => OnnxModelLoader.Load(path, options));
        Assert.True(((IAsyncResult)load).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), $"Loading '{path}' did not finish in 30 s.");
        var ex = Assert.IsType<OnnxModelException>(load.Exception?.InnerException);
        return ex;
    }
}
