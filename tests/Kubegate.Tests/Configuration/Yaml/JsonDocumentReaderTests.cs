using System.Text;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Tests.Configuration.Yaml;

public class JsonDocumentReaderTests
{
    [Fact]
    public void Parse_Object_ComputesLineNumbersFromOffsets()
    {
        var result = Parse("{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"x\"\n  },\n  \"d\": [true, null]\n}");

        var root = Assert.IsType<ConfigMapping>(result.Root);
        Assert.Equal(1, root.Line);
        Assert.Equal([2, 3, 6], root.Entries.Select(e => e.Line));
        Assert.Equal(4, Assert.IsType<ConfigMapping>(root.Entries[1].Value).Entries[0].Line);
    }

    [Fact]
    public void Parse_Scalars_KeepTheirJsonTypes()
    {
        var result = Parse("{\"n\": 1.50, \"s\": \"3\", \"t\": true, \"f\": false, \"z\": null}");

        var values = Assert.IsType<ConfigMapping>(result.Root).Entries.Select(e => (ConfigScalar)e.Value).ToList();
        Assert.Equal([ScalarKind.Number, ScalarKind.String, ScalarKind.Boolean, ScalarKind.Boolean, ScalarKind.Null], values.Select(v => v.Kind));
        Assert.Equal("1.50", values[0].Text);
        Assert.True(values[1].IsQuoted);
        Assert.True(values[2].BooleanValue);
        Assert.False(values[3].BooleanValue);
    }

    [Theory]
    [InlineData("{\n\"a\": 1,\n}", 3)]
    [InlineData("{\n// comment\n\"a\": 1}", 2)]
    [InlineData("{\n\"a\": 1\n\"b\": 2}", 3)]
    public void Parse_Invalid_ReportsLine(string json, int line)
    {
        var result = Parse(json);

        Assert.False(result.Succeeded);
        Assert.StartsWith("invalid JSON: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", result.Error, StringComparison.Ordinal);
        Assert.Equal(line, result.ErrorLine);
    }

    [Fact]
    public void Parse_StringNotValidUtf8_ReportsItsLine()
    {
        // Utf8JsonReader refuses it only in GetString, with InvalidOperationException (found by fuzzing).
        var result = JsonDocumentReader.Parse([.. "{\n\"a\": 1,\n\"b\": \""u8, 0xff, .. "\"}"u8]);

        Assert.Equal("invalid JSON: a string is not valid UTF-8", result.Error);
        Assert.Equal(3, result.ErrorLine);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    [InlineData("\uFEFF")]
    public void Parse_Blank_HasNoRoot(string json)
    {
        var result = Parse(json);

        Assert.True(result.Succeeded);
        Assert.Null(result.Root);
    }

    private static DocumentParseResult Parse(string json) => JsonDocumentReader.Parse(Encoding.UTF8.GetBytes(json));
}
