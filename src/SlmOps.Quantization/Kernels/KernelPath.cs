using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>Which implementation of the kernels runs.</summary>
internal enum KernelPath
{
    /// <summary>The widest the hardware accelerates.</summary>
    Auto,

    /// <summary><see cref="Vector512{T}"/>, or narrower where it is not accelerated.</summary>
    Vector512,

    /// <summary><see cref="Vector256{T}"/>, or narrower where it is not accelerated.</summary>
    Vector256,

    /// <summary><see cref="Vector128{T}"/>, or scalar where it is not accelerated.</summary>
    Vector128,

    /// <summary>One element at a time: the reference the vector paths must match bit for bit.</summary>
    Scalar,
}
