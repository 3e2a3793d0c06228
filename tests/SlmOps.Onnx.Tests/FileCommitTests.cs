using SlmOps.Onnx;
using SlmOps.Testing;

namespace SlmOps.Onnx.Tests;

public class FileCommitTests
{
    [Fact]
    public void The_temp_file_replaces_the_destination_and_a_reader_of_the_old_one_keeps_its_content()
    {
        using var temp = new TempDirectory();
        string destination = Path.Combine(temp.FullPath, "model.onnx");
        File.WriteAllText(destination, "old");
        string next = Path.Combine(temp.FullPath, ".model.onnx.tmp");
        File.WriteAllText(next, "new");

        using (var reader = new FileStream(destination, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            FileCommit.MoveIntoPlace(next, destination);
            Assert.Equal("old", new StreamReader(reader).ReadToEnd());
        }

        Assert.Equal("new", File.ReadAllText(destination));
        Assert.False(File.Exists(next));
        Assert.Single(Directory.GetFiles(temp.FullPath));
    }

    [Fact]
    public void A_new_destination_is_created()
    {
        using var temp = new TempDirectory();
        string next = Path.Combine(temp.FullPath, "a.tmp");
        File.WriteAllText(next, "content");
        string destination = Path.Combine(temp.FullPath, "a.onnx");

        FileCommit.MoveIntoPlace(next, destination);

        Assert.Equal("content", File.ReadAllText(destination));
        Assert.False(File.Exists(next));
    }

    [Fact]
    public void Write_creates_the_folder_and_a_failing_write_leaves_the_old_file_and_no_temp()
    {
        using var temp = new TempDirectory();
        string destination = Path.Combine(temp.FullPath, "sub", "manifest.json");

        FileCommit.WriteAllText(destination, "first");
        Assert.Throws<InvalidOperationException>(() => FileCommit.Write(destination, path =>
        {
            File.WriteAllText(path, "half");
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("first", File.ReadAllText(destination));
        Assert.Equal([destination], Directory.GetFiles(Path.GetDirectoryName(destination)!));
    }
}
