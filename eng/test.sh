#!/usr/bin/env bash
# Runs every test: unit, package (real 'dotnet publish' of throw-away consumers) and end to end
# (real engines with BuildKit: Docker 20.10 classic, Docker 26 with buildx and the containerd
# image store, Podman). Sets up what they need first: the engines (installing and starting them
# when none answers) and the offline base image in each. Ends with 'N passed, N failed'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

# The push tests serve a registry on 127.0.0.1 with Debian's docker-registry; the Podman tests
# build with Debian's podman; the SSH tests run a throw-away ssh-agent; the net472 task assembly
# runs under Debian's Mono.
missing=()
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
[ -x /usr/bin/mono ] || missing+=(mono-devel)
[ -x /usr/bin/podman ] || missing+=(podman)
command -v ssh-agent > /dev/null 2>&1 || missing+=(openssh-client)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} (apt-get)" >&2
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

setup="$(bash eng/setup-engine.sh)"
export "${setup?}"
export BUILDSECRETS_DOCKER DOCKER_BUILDKIT=1
echo "test.sh: docker client for the tests: $BUILDSECRETS_DOCKER" >&2

# The second engine: Docker 26 with buildx and the containerd image store (Debian 13's packages,
# extracted, not installed), beside the first one, with the base image copied into it.
docker26="$("${as_root[@]}" bash eng/setup-docker26.sh "$(command -v "$BUILDSECRETS_DOCKER")")"
# shellcheck disable=SC2046 # one NAME=VALUE per line, no spaces
export $docker26
echo "test.sh: Docker 26 for the tests: $BUILDSECRETS_DOCKER26 at $BUILDSECRETS_DOCKER26_HOST" >&2

# Podman runs RUN steps with runc: crun refuses hosts whose cgroups are mounted in hybrid mode
# (v1 controllers plus a v2 hierarchy that holds any controller), as some CI machines are.
mkdir -p artifacts
printf '[engine]\nruntime = "runc"\n' > artifacts/containers.conf
export CONTAINERS_CONF="$root/artifacts/containers.conf"

# Podman keeps its own images: give it the offline base image too.
for image in buildsecrets-test/runtime-curl:1 buildsecrets-test/sdk:1; do
  if ! podman image exists "$image"; then
    "$BUILDSECRETS_DOCKER" save "$image" | podman load >&2
  fi
done

mkdir -p artifacts/test-logs
log=artifacts/test-logs/dotnet-test.log
set +e
dotnet test --project tests/BuildSecrets.MSBuild.Tests -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
total=$(grep -cE '^\s+total: [0-9]+' "$log" || true)

if [ "$total" -eq 0 ]; then
  echo "test.sh: no test summary (the build or the test host failed); see $log" >&2
  exit 1
fi
if [ "$skipped" -ne 0 ] && [ "$status" -eq 0 ]; then
  echo "test.sh: $skipped test(s) were skipped; every test must run" >&2
  status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
