using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Validation;

/// <summary>
/// Finds ONNX Runtime's native library for a process that does not carry it: the slmops worker, which ships in the
/// SDK package without the 240 MB of native builds. The library is looked for, in order: where .NET looks by default
/// (beside the app, <c>runtimes/&lt;rid&gt;/native</c>: apps and tests); <c>SLMOPS_ONNXRUNTIME_NATIVE_DIR</c>; the
/// NuGet global packages folder, <c>microsoft.ml.onnxruntime/&lt;version&gt;/runtimes/&lt;rid&gt;/native</c>, the
/// package that every SlmOps app restores through SlmOps.Runtime, of the same version as the managed library here.
/// </summary>
public static class OrtNativeLibrary
{
    /// <summary>The environment variable that names a folder holding the native library.</summary>
    public const string DirectoryVariable = "SLMOPS_ONNXRUNTIME_NATIVE_DIR";

    private static readonly Lazy<bool> s_registered = new(Register);

    /// <summary>Installs the resolver once per process; call before the first ONNX Runtime call.</summary>
    public static void EnsureResolver() => _ = s_registered.Value;

    /// <summary>The folders searched after the default ones, in order, for this machine's RID.</summary>
    public static IReadOnlyList<string> FallbackDirectories()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } configured) folders.Add(configured);
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root
            ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        folders.Add(Path.Combine(packages, "microsoft.ml.onnxruntime", ManagedVersion, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"));
        return folders;
    }

    /// <summary>The version of ONNX Runtime's managed library (<c>1.31.1</c>), which must match the native one.</summary>
    public static string ManagedVersion
    {
        get
        {
            string version = typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? typeof(InferenceSession).Assembly.GetName().Version?.ToString(3) ?? "";
            int plus = version.IndexOf('+');
            return plus >= 0 ? version[..plus] : version;
        }
    }

    private static bool Register()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(InferenceSession).Assembly, Resolve);
            return true;
        }
        catch (InvalidOperationException)
        {
            // The assembly has a resolver already: ONNX Runtime's own, installed when it was used before this was
            // called, which has found the library by then. An assembly takes one resolver, and that one works.
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out IntPtr handle)) return handle;
        string file = OperatingSystem.IsWindows() ? name + ".dll" : OperatingSystem.IsMacOS() ? "lib" + name + ".dylib" : "lib" + name + ".so";
        foreach (string folder in FallbackDirectories())
        {
            string path = Path.Combine(folder, file);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out handle)) return handle;
        }

        return IntPtr.Zero;
    }
}
