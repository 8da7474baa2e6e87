using Cnn.Facade;

namespace Cnn.Unit.Facade.Scripts;

public class ScriptArgumentsTests
{
    [Fact]
    public void Parse_GivenAndMissingOptions_ValuesAndDefaults()
    {
        var a = ScriptArguments.Parse(["--epochs", "3", "--out", "dir"], "epochs", "max-steps", "out");
        Assert.Equal(3, a.Int("epochs", 1));
        Assert.Null(a.IntOrNull("max-steps"));
        Assert.Equal(7, a.Int("max-steps", 7));
        Assert.Equal("dir", a.String("out", "x"));
    }

    [Fact]
    public void Parse_UnknownOption_ListsTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ScriptArguments.Parse(["--epoch", "3"], "epochs", "out"));
        Assert.Contains("'--epoch'", ex.Message);
        Assert.Contains("--epochs, --out", ex.Message);
    }

    [Fact]
    public void Parse_MissingValue_Throws() =>
        Assert.Contains("needs a value", Assert.Throws<ArgumentException>(() => ScriptArguments.Parse(["--out"], "out")).Message);

    [Fact]
    public void Int_NotANumber_NamesOptionAndValue() =>
        Assert.Contains("'--epochs' needs a whole number but got 'two'",
            Assert.Throws<ArgumentException>(() => ScriptArguments.Parse(["--epochs", "two"], "epochs").Int("epochs", 1)).Message);
}
