using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

public class ProtoDurationTextTests
{
    [Theory]
    [InlineData(5000, "5s")]
    [InlineData(250, "0.25s")]
    [InlineData(0, "0s")]
    public void Format_TimeSpan_ProtoJson(int milliseconds, string expected) =>
        Assert.Equal(expected, ProtoDurationText.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("1.5", "1.5s")]
    [InlineData("0.000000001", "0.000000001s")]
    [InlineData("-3", "-3s")]
    public void Format_Seconds_ProtoJson(string seconds, string expected) =>
        Assert.Equal(expected, ProtoDurationText.Format(decimal.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)));
}
