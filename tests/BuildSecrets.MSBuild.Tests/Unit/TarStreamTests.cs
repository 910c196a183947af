using System.Formats.Tar;
using System.Text;
using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class TarStreamTests
{
    [TestMethod]
    public void PAX_records_are_measured_in_bytes_so_non_ASCII_values_do_not_shift_the_next_record()
    {
        var records = Encoding.UTF8.GetBytes(Record("path", "app/Zürich-秘密.txt") + Record("size", "12") + Record("mtime", "1.5"));

        var parsed = TarStream.PaxRecords(records);

        Assert.AreEqual("app/Zürich-秘密.txt", parsed["path"]);
        Assert.AreEqual("12", parsed["size"]);
        Assert.AreEqual("1.5", parsed["mtime"]);
    }

    [TestMethod]
    public void A_PAX_record_whose_length_does_not_match_is_an_ImageArchiveException()
    {
        Assert.ThrowsExactly<ImageArchiveException>(() => TarStream.PaxRecords(Encoding.UTF8.GetBytes("99 path=a\n")));
    }

    [TestMethod]
    public void A_PAX_size_record_wins_over_the_header_size()
    {
        // The header says 0 bytes; the PAX record says 12, as PAX writers do for sizes the header cannot hold.
        var archive = new MemoryStream();
        WriteHeader(archive, "././@PaxHeader", 'x', Encoding.UTF8.GetBytes(Record("size", "12") + Record("path", "app/größe.bin")));
        WriteHeader(archive, "placeholder", '0', Encoding.ASCII.GetBytes("twelve bytes"), headerSize: 0);
        WriteHeader(archive, "app/next.txt", '0', Encoding.ASCII.GetBytes("next"));
        archive.Write(new byte[1024]);
        var tar = new TarStream(new MemoryStream(archive.ToArray()));

        Assert.IsTrue(tar.MoveNext());
        Assert.AreEqual("app/größe.bin", tar.Name);
        Assert.AreEqual(12, tar.Size);
        Assert.AreEqual("twelve bytes", Encoding.ASCII.GetString(tar.ReadAll(100)));
        Assert.IsTrue(tar.MoveNext());
        Assert.AreEqual("app/next.txt", tar.Name);
        Assert.AreEqual("next", Encoding.ASCII.GetString(tar.ReadAll(100)));
        Assert.IsFalse(tar.MoveNext());
    }

    [TestMethod]
    public void Entries_written_by_dotnets_PAX_writer_with_long_non_ASCII_names_are_read_whole()
    {
        var name = "app/" + new string('é', 80) + "/秘密/" + new string('x', 60) + ".txt";
        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("content")) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "after") { DataStream = new MemoryStream([1, 2, 3]) });
        }

        var tar = new TarStream(new MemoryStream(archive.ToArray()));

        Assert.IsTrue(tar.MoveNext());
        Assert.AreEqual(name, tar.Name);
        Assert.AreEqual("content", Encoding.UTF8.GetString(tar.ReadAll(100)));
        Assert.IsTrue(tar.MoveNext());
        Assert.AreEqual("after", tar.Name);
    }

    /// <summary>One PAX record; its length counts its own digits and the UTF-8 bytes.</summary>
    private static string Record(string key, string value)
    {
        var body = $" {key}={value}\n";
        var bytes = Encoding.UTF8.GetByteCount(body);
        var length = bytes + 1;
        while ((length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + bytes) != length)
        {
            length++;
        }

        return length + body;
    }

    private static void WriteHeader(Stream archive, string name, char type, byte[] content, long? headerSize = null)
    {
        var header = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(header, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(header, 100);
        Encoding.ASCII.GetBytes(Convert.ToString(headerSize ?? content.Length, 8).PadLeft(11, '0') + "\0").CopyTo(header, 124);
        header[156] = (byte)type;
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(header, 257);
        archive.Write(header);
        archive.Write(content);
        archive.Write(new byte[(512 - content.Length % 512) % 512]);
    }
}
