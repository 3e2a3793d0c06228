using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SlmOps.Onnx;

/// <summary>What kind of file system object an open handle is.</summary>
internal enum FileKind
{
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    SymbolicLink,
    Other,
}

/// <summary>What the operating system says about an open file (read from the handle, never from a path).</summary>
/// <param name="Kind">Regular file, FIFO, device, …</param>
/// <param name="Links">The number of hard links (names) the file has.</param>
/// <param name="Length">The size in bytes.</param>
internal readonly record struct FileFacts(FileKind Kind, long Links, long Length);

/// <summary>Why <see cref="SafeFile.Open"/> could not open a file.</summary>
internal enum OpenFailure
{
    NotFound,
    SymbolicLink,
    AccessDenied,
    Other,
}

/// <summary>A failed <see cref="SafeFile.Open"/>, with the reason in a form callers can turn into a coded error.</summary>
internal sealed class SafeOpenException(OpenFailure failure, string message) : IOException(message)
{
    public OpenFailure Failure { get; } = failure;
}

/// <summary>
/// Opens model files the way untrusted input must be opened: the open never blocks (a FIFO or a device at the path
/// cannot hang the build), a final symbolic link can be refused by the kernel instead of by an earlier check that
/// a swap could defeat (O_NOFOLLOW), and the file's kind, link count and size come from the opened handle
/// (fstat/statx, GetFileInformationByHandle), so what is checked is what is read.
/// </summary>
/// <remarks>
/// .NET exposes neither O_NOFOLLOW, O_NONBLOCK nor the link count, hence the P/Invokes. Linux is what CI runs;
/// the macOS and Windows paths follow the platforms' documented layouts but are not exercised here (docs/design.md).
/// </remarks>
internal static partial class SafeFile
{
    /// <summary>
    /// Opens an existing file for reading. With <paramref name="followFinalLink"/> false, a symbolic link as the last
    /// path component fails with <see cref="OpenFailure.SymbolicLink"/> (directories above it may still be links;
    /// check <see cref="RealPathOf"/> for where the handle really points). Throws <see cref="SafeOpenException"/>.
    /// </summary>
    public static SafeFileHandle Open(string path, bool followFinalLink, out FileFacts facts)
    {
        SafeFileHandle handle = OperatingSystem.IsWindows() ? Windows.Open(path, followFinalLink) : Unix.Open(path, followFinalLink);
        try
        {
            facts = OperatingSystem.IsWindows() ? Windows.Stat(handle) : Unix.Stat(handle);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The absolute path the operating system has for an open handle (Linux: /proc/self/fd; Windows:
    /// GetFinalPathNameByHandle), or null where it cannot tell (macOS, or Linux without /proc).
    /// </summary>
    public static string? RealPathOf(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                string? target = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
                return target is not null && target.StartsWith('/') ? target : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
        return OperatingSystem.IsWindows() ? Windows.FinalPath(handle) : null;
    }

    private static FileKind KindFromMode(int mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xC000 => FileKind.Socket,
        0xA000 => FileKind.SymbolicLink,
        _ => FileKind.Other,
    };

    private static partial class Unix
    {
        private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20;
        private static int ELOOP => OperatingSystem.IsLinux() ? 40 : 62;

        private static int O_NONBLOCK => OperatingSystem.IsLinux() ? 0x800 : 0x4;

        private static int O_CLOEXEC => OperatingSystem.IsLinux() ? 0x80000 : 0x1000000;

        // Linux has no single value: arm, arm64 and powerpc define 0100000, the generic headers (x86, x64, riscv,
        // s390x, loongarch) 0400000.
        private static int O_NOFOLLOW => !OperatingSystem.IsLinux() ? 0x100
            : RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Ppc64le ? 0x8000 : 0x20000;

        public static SafeFileHandle Open(string path, bool followFinalLink)
        {
            int flags = O_NONBLOCK | O_CLOEXEC | (followFinalLink ? 0 : O_NOFOLLOW); // O_RDONLY is 0
            int fd = open(path, flags);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                string reason = Marshal.GetPInvokeErrorMessage(errno);
                throw errno switch
                {
                    ENOENT or ENOTDIR => new SafeOpenException(OpenFailure.NotFound, reason),
                    EACCES => new SafeOpenException(OpenFailure.AccessDenied, reason),
                    _ when errno == ELOOP => new SafeOpenException(OpenFailure.SymbolicLink, reason),
                    _ => new SafeOpenException(OpenFailure.Other, reason),
                };
            }
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        public static unsafe FileFacts Stat(SafeFileHandle handle)
        {
            // struct statx (Linux) is 256 bytes and the same on every architecture; struct stat on macOS is 144.
            byte* buffer = stackalloc byte[256];
            new Span<byte>(buffer, 256).Clear();
            int fd = (int)handle.DangerousGetHandle();
            if (OperatingSystem.IsLinux())
            {
                const int AT_EMPTY_PATH = 0x1000;
                const uint STATX_BASIC_STATS = 0x7FF;
                if (Statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buffer) != 0) throw LastError();
                return new FileFacts(KindFromMode(*(ushort*)(buffer + 28)), *(uint*)(buffer + 16), *(long*)(buffer + 40));
            }

            int result = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? fstat_inode64(fd, buffer) : fstat(fd, buffer);
            if (result != 0) throw LastError();
            return new FileFacts(KindFromMode(*(ushort*)(buffer + 4)), *(ushort*)(buffer + 6), *(long*)(buffer + 96));
        }

        /// <summary>statx through glibc/musl where they have it (glibc 2.28, musl 1.2.5), else the system call.</summary>
        private static unsafe int Statx(int fd, string path, int flags, uint mask, byte* buffer)
        {
            try
            {
                return statx(fd, path, flags, mask, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                long number = RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.X64 => 332,
                    Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 291,
                    _ => throw new PlatformNotSupportedException("statx is not available on this system."),
                };
                fixed (byte* p = "\0"u8)
                {
                    return (int)syscall(number, fd, (nint)p, flags, mask, (nint)buffer);
                }
            }
        }

        private static SafeOpenException LastError()
        {
            int errno = Marshal.GetLastPInvokeError();
            return new SafeOpenException(OpenFailure.Other, Marshal.GetPInvokeErrorMessage(errno));
        }

        // open(2) is variadic; without O_CREAT the mode is not passed, so the fixed two-argument form is the call.
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

        [LibraryImport("libc", SetLastError = true)]
        private static partial long syscall(long number, int fd, nint path, int flags, uint mask, nint buffer);

        [LibraryImport("libc", SetLastError = true)]
        private static unsafe partial int fstat(int fd, byte* buffer);

        [LibraryImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)]
        private static unsafe partial int fstat_inode64(int fd, byte* buffer);
    }

    private static partial class Windows
    {
        public static SafeFileHandle Open(string path, bool followFinalLink)
        {
            try
            {
                // There is no O_NOFOLLOW here; a link at the last component is refused by its attributes, and the
                // final path of the handle (RealPathOf) is what callers trust.
                if (!followFinalLink && new FileInfo(path).LinkTarget is not null)
                    throw new SafeOpenException(OpenFailure.SymbolicLink, "The file is a symbolic link or junction.");
                return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new SafeOpenException(OpenFailure.NotFound, ex.Message);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new SafeOpenException(OpenFailure.AccessDenied, ex.Message);
            }
            catch (IOException ex) when (ex is not SafeOpenException)
            {
                throw new SafeOpenException(OpenFailure.Other, ex.Message);
            }
        }

        public static unsafe FileFacts Stat(SafeFileHandle handle)
        {
            const int FILE_TYPE_DISK = 1;
            if (GetFileType(handle) != FILE_TYPE_DISK) return new FileFacts(FileKind.Other, 1, 0);
            // BY_HANDLE_FILE_INFORMATION: attributes at 0, size high/low at 32/36, link count at 40; 52 bytes.
            byte* info = stackalloc byte[52];
            if (!GetFileInformationByHandle(handle, info)) throw new SafeOpenException(OpenFailure.Other, new Win32Exception().Message);
            uint attributes = *(uint*)info;
            var kind = (attributes & 0x10) != 0 ? FileKind.Directory : (attributes & 0x400) != 0 ? FileKind.SymbolicLink : FileKind.Regular;
            long length = ((long)*(uint*)(info + 32) << 32) | *(uint*)(info + 36);
            return new FileFacts(kind, *(uint*)(info + 40), length);
        }

        public static unsafe string? FinalPath(SafeFileHandle handle)
        {
            char* buffer = stackalloc char[1024];
            uint length = GetFinalPathNameByHandleW(handle, buffer, 1024, 0);
            if (length == 0 || length >= 1024) return null;
            string path = new(buffer, 0, (int)length);
            if (path.StartsWith(@"\\?\UNC\", StringComparison.Ordinal)) return @"\\" + path[8..];
            return path.StartsWith(@"\\?\", StringComparison.Ordinal) ? path[4..] : path;
        }

        [LibraryImport("kernel32", SetLastError = true)]
        private static partial int GetFileType(SafeFileHandle handle);

        [LibraryImport("kernel32", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static unsafe partial bool GetFileInformationByHandle(SafeFileHandle handle, byte* information);

        [LibraryImport("kernel32", SetLastError = true)]
        private static unsafe partial uint GetFinalPathNameByHandleW(SafeFileHandle handle, char* buffer, uint length, uint flags);
    }
}
