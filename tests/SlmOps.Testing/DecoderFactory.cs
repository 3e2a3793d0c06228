using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;
using Attr = SlmOps.Onnx.Protobuf.AttributeProto.Types.AttributeType;

namespace SlmOps.Testing;

/// <summary>The shape of a <see cref="DecoderFactory"/> model.</summary>
/// <param name="Layers">Decoder layers, each with its past_key_values.N.key|value.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (fewer than <paramref name="Heads"/>: grouped-query attention); must divide it.</param>
/// <param name="HeadSize">Size of one head.</param>
/// <param name="Vocabulary">Tokens.</param>
/// <param name="PositionIds">Whether the model takes position_ids (else the positions follow from the cache length).</param>
/// <param name="AttentionMask">Whether the model takes attention_mask (else every position is attended).</param>
/// <param name="Fp16Cache">Whether the KV cache inputs and outputs are float16.</param>
/// <param name="Seed">The random weights.</param>
public sealed record DecoderOptions(int Layers = 2, int Heads = 4, int KvHeads = 2, int HeadSize = 8, int Vocabulary = 300,
    bool PositionIds = true, bool AttentionMask = true, bool Fp16Cache = false, int Seed = 7)
{
    public int Width => Heads * HeadSize;
}

/// <summary>
/// A tiny decoder-only transformer built in code with the graph interface ONNX Runtime GenAI and Optimum use:
/// <c>input_ids</c> [batch, sequence], optionally <c>attention_mask</c> [batch, total_sequence] and
/// <c>position_ids</c> [batch, sequence], <c>past_key_values.N.key|value</c> [batch, kv_heads, past_sequence,
/// head_size] in; <c>logits</c> [batch, sequence, vocabulary] and <c>present.N.key|value</c> [batch, kv_heads,
/// total_sequence, head_size] out. Each layer is causal multi-head attention over the cache (grouped-query when there
/// are fewer KV heads) with a residual connection, so the logits depend on the cache: a generation loop that feeds
/// it wrongly gives other tokens than a run over the whole sequence.
/// </summary>
public static class DecoderFactory
{
    public static ModelProto Create(DecoderOptions? options = null)
    {
        var o = options ?? new DecoderOptions();
        if (o.Heads % o.KvHeads != 0) throw new ArgumentException("KvHeads must divide Heads.", nameof(options));
        var random = new Random(o.Seed);
        float[] Values(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var g = new GraphProto { Name = "tiny-decoder" };
        DataType cache = o.Fp16Cache ? DataType.Float16 : DataType.Float;
        int w = o.Width, kvWidth = o.KvHeads * o.HeadSize, group = o.Heads / o.KvHeads;

        g.Input.Add(OnnxModelFactory.TensorValue("input_ids", DataType.Int64, "batch", "sequence"));
        if (o.AttentionMask) g.Input.Add(OnnxModelFactory.TensorValue("attention_mask", DataType.Int64, "batch", "total_sequence"));
        if (o.PositionIds) g.Input.Add(OnnxModelFactory.TensorValue("position_ids", DataType.Int64, "batch", "sequence"));
        for (int l = 0; l < o.Layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                g.Input.Add(OnnxModelFactory.TensorValue($"past_key_values.{l}.{part}", cache, "batch", o.KvHeads, "past_sequence", o.HeadSize));
            }
        }

        g.Output.Add(OnnxModelFactory.TensorValue("logits", DataType.Float, "batch", "sequence", o.Vocabulary));
        for (int l = 0; l < o.Layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                g.Output.Add(OnnxModelFactory.TensorValue($"present.{l}.{part}", cache, "batch", o.KvHeads, "total_sequence", o.HeadSize));
            }
        }

        g.Initializer.Add([
            OnnxModelFactory.FloatTensor("embed.weight", Values(o.Vocabulary * w, 1), o.Vocabulary, w),
            OnnxModelFactory.FloatTensor("position.weight", Values(512 * w, 0.5), 512, w),
            OnnxModelFactory.FloatTensor("lm_head.weight", Values(w * o.Vocabulary, 0.5), w, o.Vocabulary),
            Int64s("q.shape", [0, 0, o.Heads, o.HeadSize]),
            Int64s("kv.shape", [0, 0, o.KvHeads, o.HeadSize]),
            Int64s("group.shape", [1, 1, group, 1, 1]),
            Int64s("heads.shape", [0, o.Heads, -1, o.HeadSize]),
            Int64s("merge.shape", [0, 0, w]),
            Int64s("axis0", [0]), Int64s("axis1", [1]), Int64s("axis2", [2]), Int64s("axes12", [1, 2]),
            Scalar("scale", (float)(1 / Math.Sqrt(o.HeadSize))),
            Scalar("minus", -1e9f),
            Scalar("unit", 1f),
        ]);

        void Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = OnnxModelFactory.Node(op, output + "_" + op, inputs, [output]);
            node.Attribute.Add(attributes);
            g.Node.Add(node);
        }

        static AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = Attr.Ints, Ints = { values } };
        static AttributeProto Int(string name, long value) => new() { Name = name, Type = Attr.Int, I = value };

        // Lengths: the new tokens, the cache before them, all of them.
        Node("Shape", ["input_ids"], "ids_shape");
        Node("Gather", ["ids_shape", "axis1"], "seq_len", Int("axis", 0));
        Node("Shape", ["past_key_values.0.key"], "past_shape");
        Node("Gather", ["past_shape", "axis2"], "past_len", Int("axis", 0));
        Node("Add", ["past_len", "seq_len"], "total_len");

        // Embeddings plus positions (given, or past_len … past_len + seq_len - 1).
        Node("Gather", ["embed.weight", "input_ids"], "tokens");
        if (o.PositionIds)
        {
            Node("Gather", ["position.weight", "position_ids"], "positions");
        }
        else
        {
            g.Initializer.Add(Int64s("one", [1]));
            Node("Squeeze", ["past_len", "axis0"], "past_scalar");
            Node("Squeeze", ["total_len", "axis0"], "total_scalar");
            Node("Squeeze", ["one", "axis0"], "one_scalar");
            Node("Range", ["past_scalar", "total_scalar", "one_scalar"], "position_range");
            Node("Unsqueeze", ["position_range", "axis0"], "implied_positions");
            Node("Gather", ["position.weight", "implied_positions"], "positions");
        }

        Node("Add", ["tokens", "positions"], "h_0");

        // The mask: causal with the cache's offset, and the attention mask's padding; 0 where attended, -1e9 elsewhere.
        Node("Concat", ["seq_len", "total_len"], "square", Int("axis", 0));
        Node("ConstantOfShape", ["square"], "ones", new AttributeProto { Name = "value", Type = Attr.Tensor, T = OnnxModelFactory.FloatTensor("v", [1f], 1) });
        Node("Squeeze", ["past_len", "axis0"], "offset");
        var trilu = OnnxModelFactory.Node("Trilu", "causal_Trilu", ["ones", "offset"], ["causal"]);
        trilu.Attribute.Add(Int("upper", 0));
        g.Node.Add(trilu);
        string allowed = "causal";
        if (o.AttentionMask)
        {
            Node("Cast", ["attention_mask"], "mask_float", Int("to", (long)DataType.Float));
            Node("Unsqueeze", ["mask_float", "axes12"], "mask_4d");
            Node("Mul", ["causal", "mask_4d"], "allowed");
            allowed = "allowed";
        }

        Node("Sub", ["unit", allowed], "blocked");
        Node("Mul", ["blocked", "minus"], "bias");

        for (int l = 0; l < o.Layers; l++)
        {
            string p = $"l{l}_", h = $"h_{l}";
            g.Initializer.Add([
                OnnxModelFactory.FloatTensor(p + "q.weight", Values(w * w, 0.4), w, w),
                OnnxModelFactory.FloatTensor(p + "k.weight", Values(w * kvWidth, 0.4), w, kvWidth),
                OnnxModelFactory.FloatTensor(p + "v.weight", Values(w * kvWidth, 0.4), w, kvWidth),
                OnnxModelFactory.FloatTensor(p + "o.weight", Values(w * w, 0.4), w, w),
            ]);
            Node("MatMul", [h, p + "q.weight"], p + "q0");
            Node("Reshape", [p + "q0", "q.shape"], p + "q1");
            Node("Transpose", [p + "q1"], p + "q", Ints("perm", 0, 2, 1, 3));
            foreach (string part in new[] { "key", "value" })
            {
                string k = p + part[0];
                Node("MatMul", [h, k + ".weight"], k + "0");
                Node("Reshape", [k + "0", "kv.shape"], k + "1");
                Node("Transpose", [k + "1"], k + "_new", Ints("perm", 0, 2, 1, 3));
                string fresh = k + "_new";
                if (o.Fp16Cache)
                {
                    Node("Cast", [fresh], k + "_new16", Int("to", (long)DataType.Float16));
                    fresh = k + "_new16";
                }

                var concat = OnnxModelFactory.Node("Concat", k + "_cache", [$"past_key_values.{l}.{part}", fresh], [$"present.{l}.{part}"]);
                concat.Attribute.Add(Int("axis", 2));
                g.Node.Add(concat);
                string present = $"present.{l}.{part}";
                if (o.Fp16Cache)
                {
                    Node("Cast", [present], k + "_all32", Int("to", (long)DataType.Float));
                    present = k + "_all32";
                }

                // Grouped-query attention: each KV head serves Heads / KvHeads query heads.
                Node("Unsqueeze", [present, "axis2"], k + "_5d");
                Node("Expand", [k + "_5d", "group.shape"], k + "_grouped");
                Node("Reshape", [k + "_grouped", "heads.shape"], k + "_heads");
            }

            Node("Transpose", [p + "k_heads"], p + "kt", Ints("perm", 0, 1, 3, 2));
            Node("MatMul", [p + "q", p + "kt"], p + "scores0");
            Node("Mul", [p + "scores0", "scale"], p + "scores1");
            Node("Add", [p + "scores1", "bias"], p + "scores");
            Node("Softmax", [p + "scores"], p + "weights", Int("axis", -1));
            Node("MatMul", [p + "weights", p + "v_heads"], p + "attended");
            Node("Transpose", [p + "attended"], p + "attended_t", Ints("perm", 0, 2, 1, 3));
            Node("Reshape", [p + "attended_t", "merge.shape"], p + "merged");
            Node("MatMul", [p + "merged", p + "o.weight"], p + "out");
            Node("Add", [h, p + "out"], $"h_{l + 1}");
        }

        Node("MatMul", [$"h_{o.Layers}", "lm_head.weight"], "logits");
        var model = new ModelProto { IrVersion = 8, ProducerName = "SlmOps.Testing", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private static TensorProto Int64s(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        return t;
    }

    private static TensorProto Scalar(string name, float value)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float };
        t.FloatData.Add(value);
        return t;
    }
}
