using System;
using System.Runtime.InteropServices;
using System.Text;

namespace BuildSecrets.MSBuild.Secrets;

/// <summary>
/// Decrypts a password NuGet encrypted with Windows' data protection (DPAPI, current user, entropy
/// "NuGet", base64), as 'dotnet nuget add source --password' stores it on Windows. Calls crypt32
/// directly: .NET (not .NET Framework) has ProtectedData only in a package the task does not ship.
/// </summary>
internal static class WindowsDataProtection
{
    private const int UiForbidden = 0x1;

    /// <summary>The clear text, or null when it cannot be decrypted (not base64, another user's, not Windows).</summary>
    public static string? Unprotect(string base64)
    {
        byte[] encrypted;
        try
        {
            encrypted = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            return null;
        }

        var entropy = Encoding.UTF8.GetBytes("NuGet");
        var input = GCHandle.Alloc(encrypted, GCHandleType.Pinned);
        var salt = GCHandle.Alloc(entropy, GCHandleType.Pinned);
        try
        {
            var inBlob = new DataBlob { Size = encrypted.Length, Data = input.AddrOfPinnedObject() };
            var entropyBlob = new DataBlob { Size = entropy.Length, Data = salt.AddrOfPinnedObject() };
            if (!CryptUnprotectData(ref inBlob, IntPtr.Zero, ref entropyBlob, IntPtr.Zero, IntPtr.Zero, UiForbidden, out var outBlob))
            {
                return null;
            }

            try
            {
                var clear = new byte[outBlob.Size];
                Marshal.Copy(outBlob.Data, clear, 0, outBlob.Size);
                return Encoding.UTF8.GetString(clear);
            }
            finally
            {
                LocalFree(outBlob.Data);
            }
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        finally
        {
            input.Free();
            salt.Free();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DataBlob
    {
        public int Size;
        public IntPtr Data;
    }

    [DllImport("crypt32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CryptUnprotectData(ref DataBlob dataIn, IntPtr description, ref DataBlob entropy, IntPtr reserved, IntPtr prompt, int flags, out DataBlob dataOut);

    [DllImport("kernel32.dll")]
    private static extern IntPtr LocalFree(IntPtr memory);
}
