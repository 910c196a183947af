#!/usr/bin/env bash
# The tutorial end to end: a download server that wants basic auth, a netrc outside the project,
# 'dotnet publish' of samples/HelloSecrets (which builds the image with the netrc as a BuildKit
# secret), then the container prints "Hello, Admin" and has no /root/.netrc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${TUTORIAL_PORT:-8080}"
work="$root/artifacts/tutorial"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
setup="$(bash eng/setup-engine.sh)"
export "${setup?}"
docker_cli="$BUILDSECRETS_DOCKER"

echo "==> Packing BuildSecrets.MSBuild into artifacts/packages"
dotnet pack BuildSecrets.MSBuild.sln -c Release -o artifacts/packages -nologo -v:q

# A package folder of the tutorial's own, so that the package just packed is the one used.
rm -rf "$work"
mkdir -p "$work"
export NUGET_PACKAGES="$work/packages"

echo "==> Writing the netrc outside the project: $work/netrc"
umask 077
printf 'machine 127.0.0.1\nlogin admin\npassword password\n' > "$work/netrc"
umask 022

echo "==> Starting the download server on http://127.0.0.1:$port/ (admin/password gets \"Hello, Admin\")"
dotnet build samples/AuthServer -c Release -nologo -v:q
dotnet samples/AuthServer/bin/Release/net10.0/AuthServer.dll "$port" admin password > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if curl -s "http://127.0.0.1:$port/" > /dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "    without credentials the server says: $(curl -s "http://127.0.0.1:$port/")"

echo "==> dotnet publish samples/HelloSecrets (builds the image hello-secrets:latest)"
dotnet publish samples/HelloSecrets -c Release -nologo \
  -p:NetrcPath="$work/netrc" -p:MessageUrl="http://127.0.0.1:$port/" -p:DockerCli="$docker_cli"

echo "==> docker run hello-secrets"
"$docker_cli" run --rm --network none hello-secrets

echo "==> docker run hello-secrets cat /root/.netrc (must fail: the secret is not in the image)"
if "$docker_cli" run --rm --network none --entrypoint cat hello-secrets /root/.netrc; then
  echo "FAIL: /root/.netrc is in the image" >&2
  exit 1
fi
echo "    /root/.netrc is absent from the image."
