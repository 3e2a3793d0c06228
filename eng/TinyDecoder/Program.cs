// Writes <folder>/model.onnx (a two-layer decoder with grouped-query attention and random weights, in the ONNX Runtime
// GenAI / Optimum layout) and its vocab.json + merges.txt, unless they are there already.
using SlmOps.Testing;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: TinyDecoder <folder>");
    return 2;
}

string folder = Path.GetFullPath(args[0]);
string model = Path.Combine(folder, "model.onnx");
if (File.Exists(model)) return 0;
Directory.CreateDirectory(folder);
CausalLmFactory.WriteTokenizer(folder);
// Written to a temp name and renamed: a build that is stopped half way leaves no model that looks complete.
string temp = OnnxModelFactory.Write(folder, ".model.onnx.tmp", DecoderFactory.Create(new DecoderOptions(Vocabulary: CausalLmFactory.Vocabulary)));
File.Move(temp, model);
Console.WriteLine($"TinyDecoder: wrote {model}");
return 0;
