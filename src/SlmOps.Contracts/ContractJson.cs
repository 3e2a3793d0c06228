using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace SlmOps.Contracts
{
    /// <summary>
    /// Reads and writes <c>contract.json</c>. Hand-written on purpose: the source generator cannot carry
    /// System.Text.Json reliably (it runs inside compilers of many versions), so the contract stays dependency-free.
    /// The output is canonical (fixed property order, two-space indent, '\n' line ends) so identical contracts are
    /// byte-identical files and the build can skip rewriting them.
    /// </summary>
    public static class ContractJson
    {
        public static string Write(ModelContract contract)
        {
            if (contract is null) throw new ArgumentNullException(nameof(contract));
            var sb = new StringBuilder();
            sb.Append("{\n");
            sb.Append("  \"schemaVersion\": ").Append(ModelContract.CurrentSchemaVersion).Append(",\n");
            sb.Append("  \"name\": ").Append(Quote(contract.Name)).Append(",\n");
            sb.Append("  \"namespace\": ").Append(Quote(contract.Namespace)).Append(",\n");
            sb.Append("  \"kind\": ").Append(Quote(contract.Kind)).Append(",\n");
            sb.Append("  \"sourceSha256\": ").Append(contract.SourceSha256 is null ? "null" : Quote(contract.SourceSha256)).Append(",\n");
            WriteTensors(sb, "inputs", contract.Inputs);
            sb.Append(",\n");
            WriteTensors(sb, "outputs", contract.Outputs);
            sb.Append("\n}\n");
            return sb.ToString();
        }

        /// <summary>Parses a contract. Throws <see cref="FormatException"/> with a precise reason on malformed input.</summary>
        public static ModelContract Read(string json)
        {
            if (json is null) throw new ArgumentNullException(nameof(json));
            var root = new Parser(json).ParseDocument() as Dictionary<string, object?>
                ?? throw new FormatException("The contract must be a JSON object.");

            long version = RequireNumber(root, "schemaVersion");
            if (version != ModelContract.CurrentSchemaVersion)
            {
                throw new FormatException(
                    $"Contract schema version {version} is not supported (expected {ModelContract.CurrentSchemaVersion}); rebuild with a matching SlmOps.Sdk.");
            }

            return new ModelContract(
                RequireString(root, "name"),
                RequireString(root, "namespace"),
                RequireString(root, "kind"),
                ReadTensors(root, "inputs"),
                ReadTensors(root, "outputs"),
                root.TryGetValue("sourceSha256", out var sha) ? sha as string : null);
        }

        private static void WriteTensors(StringBuilder sb, string property, IReadOnlyList<TensorContract> tensors)
        {
            sb.Append("  ").Append(Quote(property)).Append(": [");
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                sb.Append(i == 0 ? "\n" : ",\n");
                sb.Append("    { \"name\": ").Append(Quote(t.Name))
                  .Append(", \"elementType\": ").Append(Quote(t.ElementType))
                  .Append(", \"shape\": [");
                for (int d = 0; d < t.Shape.Count; d++)
                {
                    if (d > 0) sb.Append(", ");
                    var dim = t.Shape[d];
                    if (dim.Value is long v) sb.Append(v.ToString(CultureInfo.InvariantCulture));
                    else if (dim.Symbol is string s) sb.Append(Quote(s));
                    else sb.Append("null");
                }
                sb.Append("] }");
            }
            sb.Append(tensors.Count == 0 ? "]" : "\n  ]");
        }

        private static IReadOnlyList<TensorContract> ReadTensors(Dictionary<string, object?> root, string property)
        {
            if (!root.TryGetValue(property, out var value) || value is not List<object?> items)
                throw new FormatException($"The contract property '{property}' must be an array.");

            var result = new List<TensorContract>(items.Count);
            foreach (var item in items)
            {
                if (item is not Dictionary<string, object?> obj)
                    throw new FormatException($"Every entry of '{property}' must be an object.");
                if (!obj.TryGetValue("shape", out var shapeValue) || shapeValue is not List<object?> shapeItems)
                    throw new FormatException($"Every entry of '{property}' needs a 'shape' array.");

                var shape = new List<Dimension>(shapeItems.Count);
                foreach (var d in shapeItems)
                {
                    shape.Add(d switch
                    {
                        null => Dimension.Unknown,
                        long v => Dimension.Fixed(v),
                        string s => Dimension.Symbolic(s),
                        _ => throw new FormatException($"A dimension in '{property}' must be an integer, a string or null."),
                    });
                }

                result.Add(new TensorContract(RequireString(obj, "name"), RequireString(obj, "elementType"), shape));
            }

            return result;
        }

        private static string RequireString(Dictionary<string, object?> obj, string property) =>
            obj.TryGetValue(property, out var v) && v is string s
                ? s
                : throw new FormatException($"The contract property '{property}' must be a string.");

        private static long RequireNumber(Dictionary<string, object?> obj, string property) =>
            obj.TryGetValue(property, out var v) && v is long n
                ? n
                : throw new FormatException($"The contract property '{property}' must be an integer.");

        internal static string Quote(string value)
        {
            var sb = new StringBuilder(value.Length + 2);
            sb.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }

        /// <summary>
        /// A small strict JSON parser: objects become dictionaries, arrays lists, integers <see cref="long"/>,
        /// other numbers <see cref="double"/>. Depth is bounded so hostile input cannot overflow the stack.
        /// </summary>
        private sealed class Parser
        {
            private const int MaxDepth = 64;
            private readonly string _text;
            private int _pos;

            public Parser(string text) => _text = text;

            public object? ParseDocument()
            {
                var value = ParseValue(0);
                SkipWhitespace();
                if (_pos != _text.Length) throw Error("unexpected text after the end of the document");
                return value;
            }

            private object? ParseValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting is too deep");
                SkipWhitespace();
                if (_pos >= _text.Length) throw Error("unexpected end of the document");
                char c = _text[_pos];
                switch (c)
                {
                    case '{': return ParseObject(depth);
                    case '[': return ParseArray(depth);
                    case '"': return ParseString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                        throw Error($"unexpected character '{c}'");
                }
            }

            private Dictionary<string, object?> ParseObject(int depth)
            {
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                _pos++;
                SkipWhitespace();
                if (TryConsume('}')) return result;
                while (true)
                {
                    SkipWhitespace();
                    if (_pos >= _text.Length || _text[_pos] != '"') throw Error("expected a property name");
                    string key = ParseString();
                    SkipWhitespace();
                    if (!TryConsume(':')) throw Error("expected ':'");
                    if (result.ContainsKey(key)) throw Error($"duplicate property '{key}'");
                    result[key] = ParseValue(depth + 1);
                    SkipWhitespace();
                    if (TryConsume('}')) return result;
                    if (!TryConsume(',')) throw Error("expected ',' or '}'");
                }
            }

            private List<object?> ParseArray(int depth)
            {
                var result = new List<object?>();
                _pos++;
                SkipWhitespace();
                if (TryConsume(']')) return result;
                while (true)
                {
                    result.Add(ParseValue(depth + 1));
                    SkipWhitespace();
                    if (TryConsume(']')) return result;
                    if (!TryConsume(',')) throw Error("expected ',' or ']'");
                }
            }

            private string ParseString()
            {
                _pos++;
                var sb = new StringBuilder();
                while (true)
                {
                    if (_pos >= _text.Length) throw Error("unterminated string");
                    char c = _text[_pos++];
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) throw Error("control character in a string");
                    if (c != '\\')
                    {
                        sb.Append(c);
                        continue;
                    }

                    if (_pos >= _text.Length) throw Error("unterminated escape");
                    char e = _text[_pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (_pos + 4 > _text.Length
                                || !int.TryParse(_text.Substring(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                                throw Error("bad \\u escape");
                            sb.Append((char)code);
                            _pos += 4;
                            break;
                        default: throw Error($"bad escape '\\{e}'");
                    }
                }
            }

            private object ParseNumber()
            {
                int start = _pos;
                if (_text[_pos] == '-') _pos++;
                while (_pos < _text.Length && "0123456789.eE+-".IndexOf(_text[_pos]) >= 0) _pos++;
                string token = _text.Substring(start, _pos - start);
                if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
                throw Error($"bad number '{token}'");
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) throw Error($"expected '{word}'");
                _pos += word.Length;
            }

            private bool TryConsume(char c)
            {
                if (_pos < _text.Length && _text[_pos] == c)
                {
                    _pos++;
                    return true;
                }
                return false;
            }

            private void SkipWhitespace()
            {
                while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t' || _text[_pos] == '\n' || _text[_pos] == '\r')) _pos++;
            }

            private FormatException Error(string what) => new FormatException($"Invalid contract JSON at offset {_pos}: {what}.");
        }
    }
}
