using System;
using System.Collections.Generic;
using System.Linq;

namespace SlmOps
{
    /// <summary>
    /// A class of device a model variant is made for: the .NET runtime identifier it runs under, the ONNX Runtime
    /// execution provider it is meant for, and defaults for the <c>SlmModel</c> settings (precision and format,
    /// budgets) that suit it. An <c>SlmTarget</c> item names one (or a plain RID, a profile without defaults) and may
    /// override any field; an item's own metadata overrides the target's (docs/device-profiles.md).
    /// </summary>
    internal sealed class DeviceProfile
    {
        public DeviceProfile(string name, string runtimeIdentifier, string executionProvider, string description, IReadOnlyDictionary<string, string> defaults)
        {
            Name = name;
            RuntimeIdentifier = runtimeIdentifier;
            ExecutionProvider = executionProvider;
            Description = description;
            Defaults = defaults;
        }

        /// <summary>The target's name, e.g. <c>rpi5</c>: the variant's folder and what the manifest records.</summary>
        public string Name { get; }

        /// <summary>The RID whose publish ships this target's variant, e.g. <c>linux-arm64</c>.</summary>
        public string RuntimeIdentifier { get; }

        /// <summary>The ONNX Runtime execution provider the variant is meant for: <c>cpu</c>, <c>cuda</c>, <c>qnn</c>, …</summary>
        public string ExecutionProvider { get; }

        public string Description { get; }

        /// <summary><c>SlmModel</c> metadata name → value, for the settings an item leaves empty.</summary>
        public IReadOnlyDictionary<string, string> Defaults { get; }

        /// <summary>The metadata of an <c>SlmTarget</c> item that describe the target rather than set a model setting.</summary>
        public const string RuntimeIdentifierMetadata = "RuntimeIdentifier", ExecutionProviderMetadata = "ExecutionProvider";

        /// <summary>The execution providers a target may name (validation runs on the CPU; the others are recorded for the app).</summary>
        public static readonly string[] ExecutionProviders = { "cpu", "cuda", "tensorrt", "directml", "coreml", "qnn", "openvino", "nnapi", "xnnpack", "webgpu" };

        /// <summary>The profiles the SDK ships (docs/device-profiles.md), by name.</summary>
        public static readonly IReadOnlyList<DeviceProfile> BuiltIn = new[]
        {
            new DeviceProfile("rpi5", "linux-arm64", "cpu", "Raspberry Pi 5 (Cortex-A76, 4-8 GB): int4 block 32 weights and embedding tables, float activations (MatMulNBits has NEON kernels)",
                Settings(("Precision", "int4"), ("BlockSize", "32"), ("QuantizeEmbeddings", "true"), ("MaxModelSize", "1GB"), ("MaxMemory", "2GB"))),
            new DeviceProfile("jetson-orin", "linux-arm64", "cuda", "NVIDIA Jetson Orin: fp16 for the GPU",
                Settings(("Precision", "fp16"), ("MaxModelSize", "8GB"))),
            new DeviceProfile("x64-avx2", "linux-x64", "cpu", "x64 servers and PCs without VNNI: int8 dynamic with unsigned weights, which do not saturate there",
                Settings(("Precision", "int8"), ("Int8Weights", "unsigned"))),
            new DeviceProfile("x64-vnni", "linux-x64", "cpu", "x64 with AVX-512 VNNI or AVX-VNNI: int8 dynamic with signed weights",
                Settings(("Precision", "int8"), ("Int8Weights", "signed"))),
            new DeviceProfile("win-arm64-npu", "win-arm64", "qnn", "Windows on Arm with a Qualcomm NPU: static QDQ, uint16 activations (needs SampleData or CalibrationRanges)",
                Settings(("Precision", "qdq"), ("ActivationType", "uint16"))),
        };

        /// <summary>The built-in profile named <paramref name="name"/> (case-insensitive), or null.</summary>
        public static DeviceProfile? Find(string name) =>
            BuiltIn.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>
        /// Whether <paramref name="name"/> reads as a .NET runtime identifier: lower-case letters, digits, dots and dashes,
        /// an OS part and an architecture part (<c>linux-arm64</c>, <c>linux-musl-x64</c>, <c>win10-x64</c>).
        /// </summary>
        public static bool LooksLikeRid(string name)
        {
            int dash = name.LastIndexOf('-');
            if (dash <= 0) return false;
            foreach (char c in name)
            {
                if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_') return false;
            }

            return RuntimeIdentifiers.ArchitectureOf(name) is not null;
        }

        private static IReadOnlyDictionary<string, string> Settings(params (string Name, string Value)[] values)
        {
            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in values) settings[name] = value;
            return settings;
        }
    }
}
