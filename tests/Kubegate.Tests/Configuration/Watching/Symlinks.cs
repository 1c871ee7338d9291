using System.Runtime.InteropServices;

namespace Kubegate.Tests.Configuration.Watching;

/// <summary>rename(2) of a symlink itself, as the kubelet swaps <c>..data</c> (File.Move would look through the link).</summary>
internal static class Symlinks
{
    public static void Rename(string from, string to)
    {
        if (NativeMethods.rename(from, to) != 0)
        {
            throw new IOException($"rename {from} -> {to} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the test project for one call.
        [DllImport("libc", SetLastError = true)]
        public static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
#pragma warning restore SYSLIB1054
    }
}
