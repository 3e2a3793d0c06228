using System;

namespace SlmOps
{
    /// <summary>
    /// What a .NET runtime identifier says about the CPU: the architectures that end one (<c>linux-arm64</c>,
    /// <c>win10-x64</c>). One list for the tasks (is an <c>SlmTarget</c> a RID?) and the worker (which architecture
    /// is a target?), compiled into each.
    /// </summary>
    internal static class RuntimeIdentifiers
    {
        public static readonly string[] Architectures =
            { "x64", "x86", "arm64", "arm", "armel", "armv6", "s390x", "ppc64le", "loongarch64", "riscv64", "mips64", "wasm" };

        /// <summary>The architecture <paramref name="rid"/> ends in (after its last '-', any case), or null.</summary>
        public static string? ArchitectureOf(string rid)
        {
            int dash = rid.LastIndexOf('-');
            if (dash < 0) return null;
            string last = rid.Substring(dash + 1).ToLowerInvariant();
            return Array.IndexOf(Architectures, last) >= 0 ? last : null;
        }
    }
}
