using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Validation;

/// <summary>
/// The samples an item's <c>SampleData</c> names, as model inputs. Two forms:
/// <list type="bullet">
/// <item>a text file (<c>.txt</c>): one sample text per line (blank lines and lines that start with <c>#</c> skipped), for
/// models with an <c>input_ids</c> input; a WordPiece <c>vocab.txt</c> (beside the model, or given) tokenizes them, and
/// the texts run in batches of <see cref="BatchSize"/>, padded to the longest with <c>attention_mask</c> 0;</item>
/// <item>a folder of ONNX tensors in the ONNX test-data layout: <c>input_0.pb</c>, <c>input_1.pb</c>, … (one sample), or
/// <c>test_data_set_*/input_*.pb</c> (one sample per folder). Each file is a serialized <c>TensorProto</c>, matched to a
/// graph input by its name, or by its number when it has none.</item>
/// </list>
/// Untrusted input: every failure is SLM4007 naming the file and what is wrong.
/// </summary>
public static class SampleData
{
    /// <summary>Texts per sample: pooled embeddings and next-token agreement are per row, so batching changes no metric.</summary>
    public const int BatchSize = 8;

    /// <summary>Texts longer than this many tokens are cut (BERT-style encoders take 512 positions).</summary>
    public const int MaxTokens = 512;

    /// <summary>At most this many samples (texts or tensor sets) are read, so a huge file cannot stall the build.</summary>
    public const int MaxSamples = 4096;

    /// <summary>A tensor file may not be larger than this (256 MiB).</summary>
    public const long MaxTensorFileBytes = 256L << 20;

    /// <summary>The tokenizer files looked for beside the model, in this order, when none is given.</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } = ["vocab.txt", "vocab.json"];

    /// <summary>Loads <paramref name="path"/> for a model with <paramref name="inputs"/> (graph order).</summary>
    /// <param name="path">A text file or a tensor folder.</param>
    /// <param name="inputs">The original model's graph inputs.</param>
    /// <param name="tokenizerPath">
    /// For text: the tokenizer, by its file: a WordPiece <c>vocab.txt</c> (BERT and its family) or a byte-level BPE
    /// <c>vocab.json</c> with <c>merges.txt</c> beside it (GPT-2 and its family); null: the first of
    /// <see cref="TokenizerFiles"/> beside <paramref name="modelPath"/>.
    /// </param>
    /// <param name="modelPath">The original model.</param>
    /// <exception cref="ValidationException">SLM4007: the samples cannot be read or do not fit the model.</exception>
    public static IReadOnlyList<IReadOnlyList<TensorSample>> Load(string path, IReadOnlyList<KeyValuePair<string, NodeMetadata>> inputs, string? tokenizerPath, string modelPath)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return LoadTensors(full, inputs);
        if (!File.Exists(full)) throw Invalid(full, "The sample data does not exist. Give a text file (one sample per line) or a folder of ONNX tensors (input_0.pb, …).");
        return LoadTexts(full, inputs, TokenizerOf(tokenizerPath, modelPath));
    }

    /// <summary>
    /// The files <see cref="Load"/> reads for <paramref name="path"/> (for incrementality), in a stable order: the
    /// tensor files of a folder, or a text file and its tokenizer's files.
    /// </summary>
    public static IReadOnlyList<string> Files(string path, string? tokenizerPath, string modelPath)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return SampleFolders(full).SelectMany(InputFiles).Select(f => f.Path).ToList();
        string tokenizer = TokenizerOf(tokenizerPath, modelPath);
        return IsBpeVocabulary(tokenizer) ? [full, tokenizer, MergesOf(tokenizer)] : [full, tokenizer];
    }

    /// <summary>
    /// The files of the model's tokenizer that exist: the one given (<c>Tokenizer</c> metadata), else the first of
    /// <see cref="TokenizerFiles"/> beside the model, with <c>merges.txt</c> for a BPE vocabulary; empty when there is
    /// none. The build ships them beside the variant, for the app's tokenizer.
    /// </summary>
    public static IReadOnlyList<string> TokenizerFilesOf(string? tokenizerPath, string modelPath)
    {
        string tokenizer = TokenizerOf(tokenizerPath, modelPath);
        if (!File.Exists(tokenizer)) return [];
        return IsBpeVocabulary(tokenizer) ? [tokenizer, .. new[] { MergesOf(tokenizer) }.Where(File.Exists)] : [tokenizer];
    }

    /// <summary>The tokenizer of text samples: the one given, else the first of <see cref="TokenizerFiles"/> beside the model (<c>vocab.txt</c> when none is there).</summary>
    private static string TokenizerOf(string? tokenizerPath, string modelPath)
    {
        if (tokenizerPath is not null) return tokenizerPath;
        string folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? "";
        return TokenizerFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists) ?? Path.Combine(folder, TokenizerFiles[0]);
    }

    private static bool IsBpeVocabulary(string tokenizer) =>
        tokenizer.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(tokenizer).Equals("tokenizer.json", StringComparison.OrdinalIgnoreCase);

    private static string MergesOf(string vocabulary) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocabulary)) ?? "", "merges.txt");

    /// <summary>Token ids of a text, at most <see cref="MaxTokens"/>, with the special tokens the tokenizer's model expects.</summary>
    private static Func<string, IReadOnlyList<int>> Encoder(string samples, string tokenizer)
    {
        if (!File.Exists(tokenizer))
        {
            throw Invalid(samples, $"Text samples need the model's tokenizer to make token ids, and '{tokenizer}' does not exist. Put vocab.txt (WordPiece) or vocab.json with merges.txt (byte-level BPE) beside the model, or give its path (Tokenizer metadata, --tokenizer).");
        }

        if (tokenizer.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            var wordPiece = BertTokenizer.Create(tokenizer);
            return text => wordPiece.EncodeToIds(text, MaxTokens, addSpecialTokens: true, out _, out _);
        }

        if (!IsBpeVocabulary(tokenizer))
        {
            throw Invalid(samples, $"The tokenizer '{tokenizer}' is not one text samples can use: give a WordPiece vocab.txt or a byte-level BPE vocab.json with merges.txt beside it (tokenizer.json is not read).");
        }

        string merges = MergesOf(tokenizer);
        if (!File.Exists(merges))
            throw Invalid(samples, $"The BPE vocabulary '{tokenizer}' needs its merges.txt beside it, and '{merges}' does not exist.");
        Tokenizer model;
        using (var vocabulary = File.OpenRead(tokenizer))
        using (var mergeRules = File.OpenRead(merges))
        {
            model = CodeGenTokenizer.Create(vocabulary, mergeRules);
        }

        return text => model.EncodeToIds(text, MaxTokens, out _, out _);
    }

    private static IReadOnlyList<IReadOnlyList<TensorSample>> LoadTexts(string path, IReadOnlyList<KeyValuePair<string, NodeMetadata>> inputs, string tokenizer)
    {
        if (!inputs.Any(i => i.Key == "input_ids"))
        {
            throw Invalid(path, $"Text samples are for models with an input_ids input; this model's inputs are ({string.Join(", ", inputs.Select(i => i.Key))}). Give a folder of ONNX tensors (input_0.pb, …) instead.");
        }

        foreach ((string name, NodeMetadata input) in inputs)
        {
            if (name is "input_ids" or "attention_mask" or "token_type_ids" or "position_ids")
            {
                if (!input.IsTensor || input.Dimensions.Length != 2 || input.ElementDataType is not (TensorElementType.Int64 or TensorElementType.Int32))
                    throw Invalid(path, $"Text samples make [batch, sequence] int64 or int32 tensors; the model's '{name}' is not one.");
            }
            else if (IsPast(name, input))
            {
                if (input.Dimensions[1] <= 0 || input.Dimensions[3] <= 0)
                    throw Invalid(path, $"Text samples start '{name}' empty ([batch, heads, 0, head size]), which needs its heads and head size fixed in the graph; they are [{string.Join(", ", input.SymbolicDimensions.Select((d, i) => input.Dimensions[i] > 0 ? input.Dimensions[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : d))}]. Give a folder of ONNX tensors instead.");
            }
            else if (!(name == "use_cache_branch" && input.IsTensor && input.ElementDataType == TensorElementType.Bool && input.Dimensions.All(d => d == 1)))
            {
                throw Invalid(path, $"Text samples give input_ids, attention_mask, token_type_ids, position_ids, an empty KV cache (past_key_values.*) and use_cache_branch; the model also takes '{name}'. Give a folder of ONNX tensors instead.");
            }
        }

        List<string> texts;
        Func<string, IReadOnlyList<int>> encode;
        try
        {
            texts = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Take(MaxSamples).ToList();
            encode = Encoder(path, tokenizer);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
        {
            throw Invalid(path, $"The samples or the tokenizer '{tokenizer}' cannot be read: {ex.Message}");
        }

        if (texts.Count == 0) throw Invalid(path, "The file has no sample text: write one sample per line.");
        var samples = new List<IReadOnlyList<TensorSample>>();
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            var ids = texts.Skip(start).Take(BatchSize).Select(encode).ToList();
            samples.Add(Batch(inputs, ids));
        }

        return samples;
    }

    /// <summary>A decoder's KV-cache input, <c>past_key_values.N.key</c> and the like: rank 4, floating point.</summary>
    internal static bool IsPast(string name, NodeMetadata input) =>
        name.StartsWith("past", StringComparison.Ordinal) && input.IsTensor && input.Dimensions.Length == 4
        && input.ElementDataType is TensorElementType.Float or TensorElementType.Float16;

    /// <summary>
    /// One padded batch: ids (0 where padded), mask 1 on tokens, token types 0, positions counting; an empty KV cache
    /// ([batch, heads, 0, head size]) and <c>use_cache_branch</c> false, so a decoder sees the text as its prompt.
    /// </summary>
    private static List<TensorSample> Batch(IReadOnlyList<KeyValuePair<string, NodeMetadata>> inputs, List<IReadOnlyList<int>> ids)
    {
        int rows = ids.Count, columns = Math.Max(1, ids.Max(r => r.Count));
        var samples = new List<TensorSample>();
        foreach ((string name, NodeMetadata input) in inputs)
        {
            if (IsPast(name, input))
            {
                long[] shape = [rows, input.Dimensions[1], 0, input.Dimensions[3]];
                Array empty = input.ElementDataType == TensorElementType.Float ? Array.Empty<float>() : Array.Empty<Float16>();
                samples.Add(new TensorSample(name, input.ElementDataType, shape, empty));
                continue;
            }

            if (name == "use_cache_branch")
            {
                samples.Add(new TensorSample(name, TensorElementType.Bool, input.Dimensions.Select(d => (long)d).ToArray(), new bool[1]));
                continue;
            }

            var values = new long[rows * columns];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    values[r * columns + c] = name switch
                    {
                        "input_ids" => c < ids[r].Count ? ids[r][c] : 0,
                        "attention_mask" => c < ids[r].Count ? 1 : 0,
                        "position_ids" => c,
                        _ => 0,
                    };
                }
            }

            Array array = input.ElementDataType == TensorElementType.Int32 ? Array.ConvertAll(values, v => (int)v) : values;
            samples.Add(new TensorSample(name, input.ElementDataType, [rows, columns], array));
        }

        return samples;
    }

    private static IReadOnlyList<IReadOnlyList<TensorSample>> LoadTensors(string folder, IReadOnlyList<KeyValuePair<string, NodeMetadata>> inputs)
    {
        var samples = new List<IReadOnlyList<TensorSample>>();
        foreach (string set in SampleFolders(folder).Take(MaxSamples))
        {
            var files = InputFiles(set);
            if (files.Count == 0) throw Invalid(set, "The folder has no input_<n>.pb file. Write each sample's inputs as serialized ONNX TensorProto files input_0.pb, input_1.pb, … (the ONNX test-data layout).");
            var byName = new Dictionary<string, TensorSample>(StringComparer.Ordinal);
            foreach (var (index, file) in files)
            {
                TensorProto tensor = ReadTensor(file);
                string name = tensor.Name.Length > 0 ? tensor.Name : index < inputs.Count ? inputs[index].Key : "";
                var input = inputs.FirstOrDefault(i => i.Key == name);
                if (input.Key is null)
                    throw Invalid(file, $"The tensor '{(name.Length > 0 ? name : $"input_{index}")}' is not an input of the model, whose inputs are ({string.Join(", ", inputs.Select(i => i.Key))}).");
                if (!byName.TryAdd(name, ToSample(tensor, name, input.Value, file)))
                    throw Invalid(file, $"The sample gives the input '{name}' twice.");
            }

            var missing = inputs.Select(i => i.Key).Where(n => !byName.ContainsKey(n)).ToList();
            if (missing.Count > 0) throw Invalid(set, $"The sample lacks the model's input{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Select(m => "'" + m + "'"))}.");
            samples.Add(inputs.Select(i => byName[i.Key]).ToList());
        }

        if (samples.Count == 0) throw Invalid(folder, "The folder holds no sample: give input_<n>.pb files, or test_data_set_<n> folders of them.");
        return samples;
    }

    /// <summary>The folder itself when it holds input files, else its <c>test_data_set_*</c> subfolders in numeric order.</summary>
    private static IEnumerable<string> SampleFolders(string folder) =>
        InputFiles(folder).Count > 0
            ? [folder]
            : Directory.EnumerateDirectories(folder, "test_data_set_*").Order(NumericSuffix.Comparer);

    private static List<(int Index, string Path)> InputFiles(string folder) =>
        Directory.EnumerateFiles(folder, "input_*.pb")
            .Select(f => (Index: int.TryParse(Path.GetFileNameWithoutExtension(f)["input_".Length..], out int i) ? i : -1, Path: f))
            .Where(f => f.Index >= 0)
            .OrderBy(f => f.Index)
            .ToList();

    private static TensorProto ReadTensor(string file)
    {
        try
        {
            var info = new FileInfo(file);
            if (info.Length > MaxTensorFileBytes)
                throw Invalid(file, $"The tensor file is {info.Length:N0} bytes; a sample tensor may have at most {MaxTensorFileBytes:N0}.");
            using var stream = File.OpenRead(file);
            return TensorProto.Parser.WithDiscardUnknownFields(true).ParseFrom(stream);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or IOException or UnauthorizedAccessException)
        {
            throw Invalid(file, $"The file is not a serialized ONNX TensorProto: {ex.Message}");
        }
    }

    private static TensorSample ToSample(TensorProto tensor, string name, NodeMetadata input, string file)
    {
        if (tensor.DataLocation == DataLocation.External) throw Invalid(file, "The tensor keeps its values in an external file; sample tensors must hold them (raw_data or the typed fields).");
        long[] shape = [.. tensor.Dims];
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || (count = count * d) > int.MaxValue) throw Invalid(file, $"The tensor's shape [{string.Join(", ", shape)}] is not valid.");
        }

        TensorElementType expected = input.ElementDataType;
        DataType type = (DataType)tensor.DataType;
        if (!input.IsTensor || (int)expected != (int)type)
            throw Invalid(file, $"The tensor '{name}' is {type}; the model's input is {(input.IsTensor ? expected.ToString() : input.OnnxValueType.ToString())}.");
        if (shape.Length != input.Dimensions.Length || shape.Where((d, i) => input.Dimensions[i] >= 0 && input.Dimensions[i] != d).Any())
            throw Invalid(file, $"The tensor '{name}' has the shape [{string.Join(", ", shape)}]; the model's input is [{string.Join(", ", input.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : input.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } s ? s : "?"))}].");

        int n = (int)count;
        Array values = type switch
        {
            DataType.Float => Values(tensor, n, 4, t => t.FloatData.ToArray(), b => MemoryMarshal.Cast<byte, float>(b).ToArray(), file),
            DataType.Double => Values(tensor, n, 8, t => t.DoubleData.ToArray(), b => MemoryMarshal.Cast<byte, double>(b).ToArray(), file),
            DataType.Int64 => Values(tensor, n, 8, t => t.Int64Data.ToArray(), b => MemoryMarshal.Cast<byte, long>(b).ToArray(), file),
            DataType.Int32 => Values(tensor, n, 4, t => t.Int32Data.ToArray(), b => MemoryMarshal.Cast<byte, int>(b).ToArray(), file),
            DataType.Int8 => Values(tensor, n, 1, t => t.Int32Data.Select(v => (sbyte)v).ToArray(), b => MemoryMarshal.Cast<byte, sbyte>(b).ToArray(), file),
            DataType.Uint8 => Values(tensor, n, 1, t => t.Int32Data.Select(v => (byte)v).ToArray(), b => b.ToArray(), file),
            DataType.Bool => Values(tensor, n, 1, t => t.Int32Data.Select(v => v != 0).ToArray(), b => Array.ConvertAll(b.ToArray(), v => v != 0), file),
            DataType.Float16 => Values(tensor, n, 2, t => t.Int32Data.Select(v => new Float16((ushort)v)).ToArray(), b => MemoryMarshal.Cast<byte, Float16>(b).ToArray(), file),
            _ => throw Invalid(file, $"Sample tensors of type {type} are not supported; use float, float16, double, int64, int32, int8, uint8 or bool."),
        };
        return new TensorSample(name, expected, shape, values);
    }

    private delegate T[] FromBytes<T>(ReadOnlySpan<byte> bytes);

    private static T[] Values<T>(TensorProto tensor, int count, int size, Func<TensorProto, T[]> typed, FromBytes<T> raw, string file)
    {
        T[] values;
        if (tensor.HasRawData)
        {
            if (tensor.RawData.Length != (long)count * size)
                throw Invalid(file, $"The tensor's raw_data has {tensor.RawData.Length:N0} bytes; its shape needs {(long)count * size:N0}.");
            values = raw(tensor.RawData.Span);
        }
        else
        {
            values = typed(tensor);
            if (values.Length != count) throw Invalid(file, $"The tensor has {values.Length:N0} values; its shape needs {count:N0}.");
        }

        if (values is float[] floats && floats.Any(v => !float.IsFinite(v)))
            throw Invalid(file, "The tensor holds NaN or infinity; samples must be finite.");
        return values;
    }

    private static ValidationException Invalid(string file, string message) => new(ValidationCodes.InvalidSamples, file, message);

    /// <summary>Orders <c>test_data_set_2</c> before <c>test_data_set_10</c>.</summary>
    private sealed class NumericSuffix : IComparer<string>
    {
        public static readonly NumericSuffix Comparer = new();

        public int Compare(string? x, string? y) => (Number(x), Number(y)) is var (a, b) && a != b ? a.CompareTo(b) : string.CompareOrdinal(x, y);

        private static long Number(string? path) => long.TryParse(Path.GetFileName(path)?.Split('_').LastOrDefault(), out long n) ? n : long.MaxValue;
    }
}
