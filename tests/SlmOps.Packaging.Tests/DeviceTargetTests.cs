namespace SlmOps.Packaging.Tests;

public class DeviceTargetTests
{
    [Theory]
    [InlineData("linux-x64", "x64")]
    [InlineData("linux-arm64", "arm64")]
    [InlineData("linux-musl-arm64", "arm64")]
    [InlineData("linux-bionic-arm", "arm")]
    [InlineData("win10-x86", "x86")]
    [InlineData("osx.13-arm64", "arm64")]
    [InlineData("WIN-ARM64", "arm64")]
    [InlineData("browser-wasm", "wasm")]
    public void A_runtime_identifier_has_the_architecture_it_ends_in(string name, string architecture)
    {
        var target = DeviceTarget.Parse(name);

        Assert.Equal(architecture, target.Architecture);
        Assert.Equal(name, target.Name);
        Assert.Equal(name, target.ToString());
    }

    [Theory]
    [InlineData("jetson-orin")] // regression: the text after the last '-' was taken as the CPU ("orin")
    [InlineData("rpi5")]
    [InlineData("any")]
    [InlineData("")]
    public void A_name_that_is_not_a_runtime_identifier_has_no_architecture(string name) =>
        Assert.Null(DeviceTarget.Parse(name).Architecture);

    [Theory]
    [InlineData("linux-arm64", "linux-x64", false)]
    [InlineData("linux-x64", "linux-x64", true)]
    [InlineData("win-x64", "linux-x64", true)]
    [InlineData("linux-musl-arm64", "osx-arm64", true)]
    [InlineData("rpi5", "linux-x64", true)]
    [InlineData("linux-arm64", "unknown", true)]
    public void A_host_shares_the_architecture_of_a_target_of_the_same_cpu_or_when_either_is_unknown(string target, string host, bool expected)
    {
        Assert.Equal(expected, DeviceTarget.Parse(target).SharesArchitectureWith(host));
    }

    [Fact]
    public void A_device_profile_has_the_architecture_of_its_rid_and_says_it_is_a_profile()
    {
        var rpi5 = DeviceTarget.Parse("rpi5", "linux-arm64");
        var npu = DeviceTarget.Parse("win-arm64", null, "qnn");
        var rid = DeviceTarget.Parse("linux-arm64");

        Assert.Equal(("rpi5", "linux-arm64", "cpu", "arm64", true), (rpi5.Name, rpi5.RuntimeIdentifier, rpi5.ExecutionProvider, rpi5.Architecture, rpi5.IsProfile));
        Assert.False(rpi5.SharesArchitectureWith("linux-x64"));
        Assert.True(npu.IsProfile);
        Assert.False(rid.IsProfile);
    }
}
