using Kubegate.Configuration.Yaml;

namespace Kubegate.Tests.Configuration.Yaml;

public class YamlDocumentReaderTests
{
    [Theory]
    [InlineData("3", "Number", false)]
    [InlineData("-5", "Number", false)]
    [InlineData("\"3\"", "String", true)]
    [InlineData("'3'", "String", true)]
    [InlineData("yes", "Boolean", false)]
    [InlineData("True", "Boolean", false)]
    [InlineData("OFF", "Boolean", false)]
    [InlineData("tRUE", "String", false)]
    [InlineData("1.5", "String", false)]
    [InlineData("99999999999", "String", false)]
    [InlineData("5s", "String", false)]
    [InlineData("~", "Null", false)]
    [InlineData("null", "Null", false)]
    [InlineData("", "Null", false)]
    [InlineData("!!str 3", "String", true)]
    public void Parse_Scalar_ClassifiedLikeEnvoysYamlToJson(string value, string kind, bool quoted)
    {
        var result = YamlDocumentReader.Parse($"key: {value}\n");

        var scalar = Assert.IsType<ConfigScalar>(Assert.IsType<ConfigMapping>(result.Root).Entries[0].Value);
        Assert.Equal(Enum.Parse<ScalarKind>(kind), scalar.Kind);
        Assert.Equal(quoted, scalar.IsQuoted);
    }

    [Fact]
    public void Parse_NestedDocument_KeepsOneBasedLines()
    {
        var result = YamlDocumentReader.Parse("# comment\na:\n  b:\n  - c: 1\n    d: two\n");

        var root = Assert.IsType<ConfigMapping>(result.Root);
        Assert.Equal(2, root.Entries[0].Line);
        var b = Assert.IsType<ConfigMapping>(root.Entries[0].Value).Entries[0];
        Assert.Equal(3, b.Line);
        var item = Assert.IsType<ConfigMapping>(Assert.IsType<ConfigSequence>(b.Value).Items[0]);
        Assert.Equal(4, item.Line);
        Assert.Equal(5, item.Entries[1].Line);
        Assert.Equal("two", Assert.IsType<ConfigScalar>(item.Entries[1].Value).Text);
    }

    [Theory]
    [InlineData("a: 1\nb: [1, 2\nc: 3\n")]
    [InlineData("a: 1\nb: \"unterminated\nc: 3\n")]
    [InlineData("a: 1\nb:\n  - x\n y: 2\n")]
    public void Parse_SyntaxError_ReportsItsLine(string text)
    {
        var result = YamlDocumentReader.Parse(text);

        Assert.False(result.Succeeded);
        Assert.StartsWith("invalid YAML", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Line:", result.Error, StringComparison.Ordinal);
        Assert.InRange(result.ErrorLine, 2, 4);
    }

    [Theory]
    [InlineData("[")]
    [InlineData("a: [1")]
    [InlineData("a: 1\nb: {c: [")]
    public void Parse_UnclosedAtTheEndOfTheFile_ReportsALineOfTheFile(string text)
    {
        var result = YamlDocumentReader.Parse(text);

        Assert.False(result.Succeeded);
        Assert.Equal(text.Count(c => c == '\n') + 1, result.ErrorLine);
    }

    [Fact]
    public void Parse_TagThatIsNotAUri_IsASyntaxError()
    {
        // YamlDotNet throws ArgumentException for it, outside YamlException (found by fuzzing).
        var result = YamlDocumentReader.Parse("a: 1\nb: !!!+!! x\n");

        Assert.False(result.Succeeded);
        Assert.StartsWith("invalid YAML: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("URI", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", result.Error, StringComparison.Ordinal);
        Assert.InRange(result.ErrorLine, 1, 2);
    }

    [Theory]
    [InlineData("a: 1\nb:\n  <<: *missing\n", 3)]
    [InlineData("a: *missing\n", 1)]
    [InlineData("a: 1\nb: *later\nc: &later 2\n", 2)]
    public void Parse_AliasToAnUndefinedAnchor_IsASyntaxErrorAtTheAlias(string text, int line)
    {
        // Behind a merge key YamlDotNet's MergingParser threw KeyNotFoundException (found by fuzzing).
        var result = YamlDocumentReader.Parse(text);

        Assert.StartsWith("invalid YAML: unknown anchor '*", result.Error, StringComparison.Ordinal);
        Assert.Equal(line, result.ErrorLine);
    }

    [Fact]
    public void Parse_TwoDocuments_IsAnError()
    {
        var result = YamlDocumentReader.Parse("a: 1\n---\nb: 2\n");

        Assert.Equal("the file holds more than one YAML document", result.Error);
        Assert.Equal(2, result.ErrorLine);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    public void Parse_EmptyDocument_HasNoRoot(string text)
    {
        var result = YamlDocumentReader.Parse(text);

        Assert.True(result.Succeeded);
        Assert.Null(result.Root);
    }

    [Fact]
    public void Parse_AnchorAndAlias_ShareTheNode()
    {
        var result = YamlDocumentReader.Parse("a: &x {k: v}\nb: *x\n");

        var root = Assert.IsType<ConfigMapping>(result.Root);
        Assert.Same(root.Entries[0].Value, root.Entries[1].Value);
    }

    [Fact]
    public void Parse_MergeKey_IsExpanded()
    {
        var result = YamlDocumentReader.Parse("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n");

        var derived = Assert.IsType<ConfigMapping>(Assert.IsType<ConfigMapping>(result.Root).Entries[1].Value);
        Assert.Equal(["x", "y"], derived.Entries.Select(e => e.Key));
    }

    [Fact]
    public void Parse_DuplicateKeys_AreKeptForTheBinderToReport()
    {
        var result = YamlDocumentReader.Parse("a: 1\na: 2\n");

        Assert.Equal(2, Assert.IsType<ConfigMapping>(result.Root).Entries.Length);
    }
}
