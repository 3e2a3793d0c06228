namespace SlmOps.IntegrationTests;

/// <summary>samples/Chat as its README runs it: the tiny decoder it writes, built, validated and streamed through IChatClient.</summary>
[Collection(SdkCollection.Name)]
public sealed class ChatSampleTests
{
    [Fact]
    public void The_chat_sample_streams_a_reply_through_IChatClient()
    {
        string repo = RepoRootAttribute.Value;

        // The build switches go to the build; dotnet run passes what it does not know to the app.
        DotNet.Run(repo, null, "build", "samples/Chat", "-nr:false", "-p:UseSharedCompilation=false").AssertSuccess();
        var run = DotNet.Run(repo, null, "run", "--no-build", "--project", "samples/Chat", "--", "Hello");

        run.AssertSuccess();
        Assert.Contains("Model: ChatModel (fp32, linux-x64), 2 layers, 2 KV heads", run.Output);
        Assert.Contains("User: Hello", run.Output);
        Assert.Contains("Assistant: ", run.Output);
        Assert.Contains("(length)", run.Output);
    }
}
