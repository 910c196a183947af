using System.Text;
using BuildSecrets.MSBuild.Leaks;

namespace BuildSecrets.MSBuild.Tests.Unit;

/// <summary>
/// The classic layout's legacy layer ids, recomputed from what Docker 20.10's 'docker save' wrote
/// (folder names and json files of an image on the offline base image, copied as they were).
/// </summary>
[TestClass]
public sealed class LegacyLayerIdsTests
{
    private const string BaseLayer = "sha256:0a1140b4b379e95c91bd669fab11da75808b31768d7957db9337fe0743f40e88";
    private const string WorkdirLayer = "sha256:801a8948eb2053d7c1d852ef910874d6a76667243270a9ab1b90b8c2597e5847";
    private const string BaseFolder = "05ff4552bcbc960c852d998f62736d1747891e94b13300aff3e336f58807d245";
    private const string WorkdirFolder = "fcaaa11dbeda4ecd94d60fe4501b431ed8af6d890e559944736b70544b30f42a";
    private const string ContainerConfig = """{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}""";

    private static readonly byte[] BaseJson = Encoding.UTF8.GetBytes($$"""{"id":"{{BaseFolder}}","created":"1970-01-01T00:00:00Z","container_config":{{ContainerConfig}},"os":"linux"}""");
    private static readonly byte[] WorkdirJson = Encoding.UTF8.GetBytes($$"""{"id":"{{WorkdirFolder}}","parent":"{{BaseFolder}}","created":"1970-01-01T00:00:00Z","container_config":{{ContainerConfig}},"os":"linux"}""");

    [TestMethod]
    public void A_base_layer_s_folder_is_told_by_its_json_and_chain_id()
    {
        Assert.AreEqual(BaseLayer, LegacyLayerIds.BaseLayerOf(BaseFolder, BaseJson, LegacyLayerIds.ChainIds([BaseLayer])));
    }

    [TestMethod]
    public void A_layer_above_the_first_is_told_through_its_parent_and_chain()
    {
        var chains = LegacyLayerIds.ChainIds([BaseLayer, WorkdirLayer]);

        Assert.AreEqual(WorkdirLayer, LegacyLayerIds.BaseLayerOf(WorkdirFolder, WorkdirJson, chains));
        Assert.AreEqual(BaseLayer, LegacyLayerIds.BaseLayerOf(BaseFolder, BaseJson, chains));
    }

    [TestMethod]
    public void A_layer_that_is_not_in_the_base_image_is_not_taken_for_one()
    {
        Assert.IsNull(LegacyLayerIds.BaseLayerOf(WorkdirFolder, WorkdirJson, LegacyLayerIds.ChainIds([BaseLayer])));
    }

    [TestMethod]
    public void A_json_that_differs_by_one_byte_matches_nothing()
    {
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(BaseJson).Replace("\"User\":\"\"", "\"User\":\"x\"", StringComparison.Ordinal));

        Assert.IsNull(LegacyLayerIds.BaseLayerOf(BaseFolder, changed, LegacyLayerIds.ChainIds([BaseLayer])));
        Assert.IsNull(LegacyLayerIds.BaseLayerOf(BaseFolder, Encoding.UTF8.GetBytes("not json"), LegacyLayerIds.ChainIds([BaseLayer])));
    }

    [TestMethod]
    [DataRow(BaseFolder + "/json", BaseFolder)]
    [DataRow(BaseFolder + "/layer.tar", null)]
    [DataRow("manifest.json", null)]
    [DataRow("blobs/sha256/" + BaseFolder, null)]
    public void Only_a_legacy_folder_s_json_names_a_folder(string entry, string? folder)
    {
        Assert.AreEqual(folder, LegacyLayerIds.FolderOfJson(entry));
    }
}
