using BuildSecrets.MSBuild.Progress;

namespace BuildSecrets.MSBuild.Tests.Unit;

[TestClass]
public sealed class BuildKitProgressLogTests
{
    private static BuildKitProgressLog Feed(string output)
    {
        var log = new BuildKitProgressLog();
        foreach (var line in output.Split('\n'))
        {
            log.Add(line.TrimEnd('\r'));
        }

        return log;
    }

    [TestMethod]
    public void A_failing_step_of_a_Docker_20_10_build_is_named_with_its_error_and_output()
    {
        // As docker build (20.10, DOCKER_BUILDKIT=1, --progress=plain) prints it.
        var log = Feed("""
            #1 [internal] load build definition from Dockerfile
            #1 sha256:0d3ec0b9b1c5e2b3
            #1 transferring dockerfile: 343B done
            #1 DONE 0.0s
            #8 [4/4] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n "http://127.0.0.1:1/" -o /app/message.txt
            #8 sha256:7940b71cbebc464c8394c45bb4651288613cd97c24564cb573ffc4dc7526da30
            #8 0.112 curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server
            #8 ERROR: executor failed running [/bin/sh -c curl -sf -n "$MESSAGE_URL" -o /app/message.txt]: exit code: 7
            ------
             > [4/4] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n "http://127.0.0.1:1/" -o /app/message.txt:
            ------
            executor failed running [/bin/sh -c curl -sf -n "$MESSAGE_URL" -o /app/message.txt]: exit code: 7
            """);

        Assert.AreEqual("'[4/4] RUN --mount=type=secret,id=netrc,target=/root/.netrc curl -sf -n \"http://127.0.0.1:1/\" -o /app/message.txt'", log.FailedStep);
        StringAssert.StartsWith(log.FailureDetail, " Error: executor failed running [/bin/sh -c curl -sf -n \"$MESSAGE_URL\" -o /app/message.txt]: exit code: 7 Output of the step:");
        StringAssert.Contains(log.FailureDetail, "curl: (7) Failed to connect to 127.0.0.1 port 1");
    }

    [TestMethod]
    public void A_failing_step_of_a_buildx_build_is_named()
    {
        var log = Feed("""
            #5 [build 2/3] RUN false
            #5 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1
            ------
             > [build 2/3] RUN false:
            ------
            ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1
            """);

        Assert.AreEqual("'[build 2/3] RUN false'", log.FailedStep);
        Assert.AreEqual(" Error: process \"/bin/sh -c false\" did not complete successfully: exit code: 1", log.FailureDetail);
    }

    [TestMethod]
    public void A_Dockerfile_error_before_any_step_quotes_the_client_error()
    {
        var log = Feed("""
            #1 [internal] load build definition from Dockerfile
            #1 DONE 0.0s
            failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: RUNN
            """);

        Assert.AreEqual("'(Dockerfile or build setup, before any step ran)'", log.FailedStep);
        StringAssert.Contains(log.FailureDetail, "unknown instruction: RUNN");
    }

    [TestMethod]
    public void Only_the_first_line_of_a_step_counts_as_its_start()
    {
        var log = new BuildKitProgressLog();
        Assert.AreEqual(ProgressLineKind.StepStart, log.Add("#5 [2/3] RUN make"));
        Assert.AreEqual(ProgressLineKind.Other, log.Add("#5 0.1 compiling"));
        Assert.AreEqual(ProgressLineKind.Other, log.Add("#5 [2/3] RUN make"));
        Assert.AreEqual(ProgressLineKind.StepError, log.Add("#5 ERROR: exit code: 2"));
        Assert.AreEqual(ProgressLineKind.StepStart, log.Add("STEP 2/3: RUN make"), "Podman's step line");
    }
}
