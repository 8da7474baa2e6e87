using System.Globalization;

namespace Cnn.Facade;

/// <summary>
/// Command-line options of a script, <c>--name value</c> pairs, read with typed defaults:
/// <code>
/// var a = ScriptArguments.Parse(args, "epochs", "max-steps", "out");
/// int epochs = a.Int("epochs", 2);
/// int? maxSteps = a.IntOrNull("max-steps");
/// string outDir = a.String("out", Path.Combine("out", "my-script"));
/// </code>
/// An option the script did not declare, or one without a value, is an <see cref="ArgumentException"/>
/// that lists the options it takes.
/// </summary>
public sealed class ScriptArguments
{
    private readonly Dictionary<string, string> _values;

    private ScriptArguments(Dictionary<string, string> values) => _values = values;

    /// <summary>Reads <paramref name="args"/>, accepting only the <paramref name="known"/> option names (without the dashes).</summary>
    public static ScriptArguments Parse(string[] args, params string[] known)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string takes = string.Join(", ", known.Select(k => "--" + k));
        for (int i = 0; i < args.Length; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is null || !known.Contains(name))
                throw new ArgumentException($"Unknown option '{args[i]}': this script takes {takes}.");
            if (i + 1 >= args.Length)
                throw new ArgumentException($"Option '{args[i]}' needs a value.");
            values[name] = args[++i];
        }
        return new ScriptArguments(values);
    }

    /// <summary>The option's value, or <paramref name="fallback"/> when it was not given.</summary>
    public string String(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    /// <summary>The option's whole-number value, or <paramref name="fallback"/> when it was not given.</summary>
    public int Int(string name, int fallback) => IntOrNull(name) ?? fallback;

    /// <summary>The option's whole-number value, or null when it was not given.</summary>
    public int? IntOrNull(string name) =>
        !_values.TryGetValue(name, out var text) ? null
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw new ArgumentException($"Option '--{name}' needs a whole number but got '{text}'.");
}
