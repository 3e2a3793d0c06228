using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SlmOps.Contracts;
using SlmOps.Generators.Model;
using static SlmOps.Generators.CSharpText;

namespace SlmOps.Generators
{
    /// <summary>
    /// The members every wrapper has, whatever its kind: the tensor specs and the session, <c>Load</c>, <c>Run</c>,
    /// <c>Dispose</c>, and the <c>Input</c> and <c>Output</c> classes. For a generic model this is the whole wrapper.
    /// </summary>
    internal static class WrapperMembers
    {
        public static void WriteFields(IndentedTextWriter w, ModelSpec model, EquatableArray<string> modelsFolder)
        {
            w.WriteLine($"/// <summary>The model's name, also its folder under <c>{Xml(FolderText(modelsFolder))}/</c> in the build output.</summary>");
            w.WriteLine($"public const string ModelName = {Literal(model.ClassName)};");
            w.WriteLineNoTabs(string.Empty);
            WriteSpecs(w, "s_slmInputSpecs", model.Inputs);
            w.WriteLineNoTabs(string.Empty);
            WriteSpecs(w, "s_slmOutputSpecs", model.Outputs);
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine($"private readonly {Runtime}SlmSession _slmSession;");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine($"private {model.ClassName}({Runtime}SlmSession session)");
            w.WriteLine("{");
            w.WriteLine("    _slmSession = session;");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>");
            w.WriteLine("/// What the SDK recorded about the variant this instance runs (its <c>manifest.json</c>): version, target, precision,");
            w.WriteLine("/// validation, rollout channel, package; <see langword=\"null\"/> when the model's folder has no manifest.");
            w.WriteLine("/// </summary>");
            w.WriteLine($"public {Runtime}SlmModelManifest? Manifest => _slmSession.Manifest;");
            w.WriteLineNoTabs(string.Empty);
        }

        /// <summary>
        /// <c>Load()</c> looks where the SDK copies the model, <c>$(SlmOpsModelsFolder)/&lt;Name&gt;/</c> beside the
        /// application, with the folder's segments passed to <c>Path.Combine</c> so the separators fit the OS it runs on.
        /// </summary>
        public static void WriteLoad(IndentedTextWriter w, ModelSpec model, string self, EquatableArray<string> modelsFolder)
        {
            string folder = Xml(FolderText(modelsFolder));
            string name = Xml(model.ClassName);
            string segments = string.Join(", ", modelsFolder.Select(Literal));
            w.WriteLine($"/// <summary>Loads the model from <c>{folder}/{name}/model.onnx</c> beside the application, where the SlmOps SDK copies it at build.</summary>");
            w.WriteLine("/// <param name=\"options\">Session settings; <see langword=\"null\"/> for the defaults.</param>");
            w.WriteLine("/// <exception cref=\"global::System.IO.FileNotFoundException\">The model file is not there.</exception>");
            w.WriteLine($"public static {self} Load({Runtime}SlmSessionOptions? options = null)");
            w.WriteLine("{");
            w.WriteLine($"    return Load(global::System.IO.Path.Combine(global::System.AppContext.BaseDirectory, {segments}, {Literal(model.ClassName)}), options);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>");
            w.WriteLine($"/// Loads the model as <see cref=\"Load({Runtime}SlmSessionOptions?)\"/> does, on a thread-pool thread: creating the session");
            w.WriteLine("/// reads and optimizes the whole model, which takes seconds for a large one.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"options\">Session settings; <see langword=\"null\"/> for the defaults.</param>");
            w.WriteLine("/// <param name=\"cancellationToken\">Cancels the load before it starts.</param>");
            w.WriteLine("/// <exception cref=\"global::System.IO.FileNotFoundException\">The model file is not there.</exception>");
            w.WriteLine($"public static global::System.Threading.Tasks.Task<{self}> LoadAsync({Runtime}SlmSessionOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    return global::System.Threading.Tasks.Task.Run(() => Load(options), cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Loads the model from <c>model.onnx</c> in <paramref name=\"modelDirectory\"/>.</summary>");
            w.WriteLine("/// <param name=\"modelDirectory\">The folder that holds <c>model.onnx</c>.</param>");
            w.WriteLine("/// <param name=\"options\">Session settings; <see langword=\"null\"/> for the defaults.</param>");
            w.WriteLine("/// <exception cref=\"global::System.IO.FileNotFoundException\">The folder holds no <c>model.onnx</c>.</exception>");
            w.WriteLine($"public static {self} Load(string modelDirectory, {Runtime}SlmSessionOptions? options = null)");
            w.WriteLine("{");
            w.WriteLine($"    return new {self}({Runtime}SlmSession.OpenModelDirectory(modelDirectory, {Literal(model.ClassName)}, options));");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }

        public static void WriteRun(IndentedTextWriter w, ModelSpec model, string self)
        {
            w.WriteLine("/// <summary>Runs the model on a thread-pool thread, for callers that must not block (a UI, a request handler).</summary>");
            w.WriteLine("/// <param name=\"input\">The inputs; each is checked against the shape the model declares.</param>");
            w.WriteLine("/// <param name=\"cancellationToken\">Cancels the run before it starts.</param>");
            w.WriteLine("/// <returns>The outputs, in new tensors.</returns>");
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">{InputMismatch}</exception>");
            w.WriteLine($"public global::System.Threading.Tasks.Task<{self}.Output> RunAsync({self}.Input input, global::System.Threading.CancellationToken cancellationToken = default)");
            w.WriteLine("{");
            w.WriteLine("    global::System.ArgumentNullException.ThrowIfNull(input);");
            w.WriteLine("    return global::System.Threading.Tasks.Task.Run(() => Run(input), cancellationToken);");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Runs the model.</summary>");
            w.WriteLine("/// <param name=\"input\">The inputs; each is checked against the shape the model declares.</param>");
            w.WriteLine("/// <returns>The outputs, in new tensors.</returns>");
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">{InputMismatch}</exception>");
            w.WriteLine($"public {self}.Output Run({self}.Input input)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(input);");
            string inputs = string.Join(", ", model.Inputs.Select(t => "input." + t.MemberName));
            w.WriteLine($"{Runtime}SlmTensor[] outputs = _slmSession.Run(s_slmInputSpecs, new {Runtime}SlmTensor[] {{ {inputs} }}, s_slmOutputSpecs);");
            if (model.Outputs.Count == 0)
            {
                w.WriteLine($"return new {self}.Output();");
            }
            else
            {
                // WriteLine, not WriteLineNoTabs: only WriteLine makes the writer indent the next line.
                w.WriteLine($"return new {self}.Output(");
                w.Indent++;
                for (int i = 0; i < model.Outputs.Count; i++)
                {
                    string end = i == model.Outputs.Count - 1 ? ");" : ",";
                    w.WriteLine($"({TensorType(model.Outputs[i])})outputs[{i}]{end}");
                }

                w.Indent--;
            }

            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);

            w.WriteLine("/// <summary>Runs the model with its inputs in graph order.</summary>");
            WriteParameterDocs(w, "input", model.Inputs);
            w.WriteLine("/// <returns>The outputs, in new tensors.</returns>");
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">{InputMismatch}</exception>");
            w.WriteLine($"public {self}.Output Run({Parameters(model.Inputs)})");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine($"return Run(new {self}.Input");
            w.WriteLine("{");
            w.Indent++;
            foreach (TensorSpec t in model.Inputs) w.WriteLine($"{t.MemberName} = {t.ParameterName},");
            w.Indent--;
            w.WriteLine("});");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }

        /// <summary><c>Bind(input, output)</c>: the zero-copy path, the inputs and output tensors bound once for repeated runs.</summary>
        public static void WriteBind(IndentedTextWriter w, ModelSpec model, string self)
        {
            if (model.Outputs.Count == 0) return;
            w.WriteLine("/// <summary>");
            w.WriteLine($"/// The zero-copy path for hot loops: binds <paramref name=\"input\"/> and <paramref name=\"output\"/> to the session once;");
            w.WriteLine($"/// then rewrite the inputs' memory and call <see cref=\"{Runtime}SlmBinding.Run\"/>, which writes the outputs into");
            w.WriteLine("/// <paramref name=\"output\"/>'s tensors with no copy and no allocation. For fixed shapes: bind again for others.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"input\">The input tensors, checked as <c>Run</c> checks them.</param>");
            w.WriteLine("/// <param name=\"output\">Tensors of the outputs' shapes, for ONNX Runtime to write into.</param>");
            w.WriteLine("/// <returns>The binding; dispose it before this instance.</returns>");
            w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">An input or output tensor does not fit the model; the message names it.</exception>");
            w.WriteLine($"public {Runtime}SlmBinding Bind({self}.Input input, {self}.Output output)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(input);");
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(output);");
            string inputs = string.Join(", ", model.Inputs.Select(t => "input." + t.MemberName));
            string outputs = string.Join(", ", model.Outputs.Select(t => "output." + t.MemberName));
            w.WriteLine($"return _slmSession.Bind(s_slmInputSpecs, new {Runtime}SlmTensor[] {{ {inputs} }}, s_slmOutputSpecs, new {Runtime}SlmTensor[] {{ {outputs} }});");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }

        public static void WriteDispose(IndentedTextWriter w)
        {
            w.WriteLine("/// <summary>Releases the native ONNX Runtime session.</summary>");
            w.WriteLine("public void Dispose()");
            w.WriteLine("{");
            w.WriteLine("    _slmSession.Dispose();");
            w.WriteLine("}");
            w.WriteLineNoTabs(string.Empty);
        }

        public static void WriteInputClass(IndentedTextWriter w, ModelSpec model)
        {
            w.WriteLine($"/// <summary>The inputs of <c>{Xml(model.ClassName)}</c>, one per graph input.</summary>");
            w.WriteLine("public sealed class Input");
            w.WriteLine("{");
            w.Indent++;
            for (int i = 0; i < model.Inputs.Count; i++)
            {
                TensorSpec t = model.Inputs[i];
                if (i > 0) w.WriteLineNoTabs(string.Empty);
                w.WriteLine($"/// <summary>{Describe("input", t)}</summary>");
                w.WriteLine($"public required {TensorType(t)} {t.MemberName} {{ get; init; }}");
            }

            w.Indent--;
            w.WriteLine("}");
        }

        public static void WriteOutputClass(IndentedTextWriter w, ModelSpec model)
        {
            w.WriteLine($"/// <summary>The outputs of <c>{Xml(model.ClassName)}</c>, one per graph output.</summary>");
            w.WriteLine("public sealed class Output");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("/// <summary>Creates the outputs; <c>Run</c> does, and so may tests and fakes.</summary>");
            WriteParameterDocs(w, "output", model.Outputs);
            w.WriteLine($"public Output({Parameters(model.Outputs)})");
            w.WriteLine("{");
            w.Indent++;
            foreach (TensorSpec t in model.Outputs) w.WriteLine($"this.{t.MemberName} = {t.ParameterName};");
            w.Indent--;
            w.WriteLine("}");
            foreach (TensorSpec t in model.Outputs)
            {
                w.WriteLineNoTabs(string.Empty);
                w.WriteLine($"/// <summary>{Describe("output", t)}</summary>");
                w.WriteLine($"public {TensorType(t)} {t.MemberName} {{ get; }}");
            }

            w.Indent--;
            w.WriteLine("}");
        }

        private static void WriteSpecs(IndentedTextWriter w, string field, EquatableArray<TensorSpec> tensors)
        {
            w.WriteLine($"private static readonly {Runtime}SlmTensorSpec[] {field} = new {Runtime}SlmTensorSpec[]");
            w.WriteLine("{");
            w.Indent++;
            foreach (TensorSpec t in tensors)
            {
                var args = new List<string> { Literal(t.OnnxName), Runtime + "SlmElementType." + t.RuntimeElementType };
                foreach (Dimension d in t.Shape)
                {
                    args.Add(d.Value is long v ? $"{Runtime}SlmDimension.Fixed({v.ToString(CultureInfo.InvariantCulture)})"
                        : d.Symbol is string s ? $"{Runtime}SlmDimension.Symbolic({Literal(s)})"
                        : $"{Runtime}SlmDimension.Unknown");
                }

                w.WriteLine($"new {Runtime}SlmTensorSpec({string.Join(", ", args)}),");
            }

            w.Indent--;
            w.WriteLine("};");
        }

        private static string FolderText(EquatableArray<string> modelsFolder) => string.Join("/", modelsFolder);
    }
}
