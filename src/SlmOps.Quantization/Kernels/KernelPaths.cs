using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>Resolves a requested <see cref="KernelPath"/> to one the hardware runs.</summary>
internal static class KernelPaths
{
    public static KernelPath Resolve(KernelPath requested)
    {
        if (requested is KernelPath.Auto or KernelPath.Vector512 && Vector512.IsHardwareAccelerated)
            return KernelPath.Vector512;
        if (requested is KernelPath.Auto or KernelPath.Vector512 or KernelPath.Vector256 && Vector256.IsHardwareAccelerated)
            return KernelPath.Vector256;
        if (requested is not KernelPath.Scalar && Vector128.IsHardwareAccelerated)
            return KernelPath.Vector128;
        return KernelPath.Scalar;
    }
}
