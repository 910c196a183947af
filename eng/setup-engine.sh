#!/usr/bin/env bash
# Makes a container engine with BuildKit answer, and builds the offline base image the tests and
# the tutorial use. Idempotent: a second run only checks (about a second).
#
# Prints exactly one line on stdout, BUILDSECRETS_DOCKER=<client>, the docker client to build
# with; everything else goes to stderr. Use it as:  eval "$(eng/setup-engine.sh)"
# (builds with that client then need DOCKER_BUILDKIT=1, which is the caller's business).
#
# Which client:
# - BUILDSECRETS_DOCKER set: that client, as it is.
# - `docker` on PATH has buildx and reaches an engine (Docker Desktop, a CI service): `docker`.
# - Otherwise Debian's docker.io (engine and client 20.10; that client builds with its built-in
#   BuildKit when DOCKER_BUILDKIT=1) is installed when missing.
# When the client reaches no engine, dockerd is started in the background without networking of
# its own (--bridge=none, no iptables); RUN steps then use --network host or --network none.
#
# Nothing is pulled from any registry: the base image buildsecrets-test/runtime-curl:1 is imported
# from this machine's busybox, curl and .NET runtime (Microsoft.NETCore.App only).
#
# Environment knobs:
#   BUILDSECRETS_DOCKER=<client>      use that client
#   BUILDSECRETS_REBUILD_BASE=1       import the base image again even if it exists (the tag moves)
#   BUILDSECRETS_DOCKERD_LOG=<file>   where the started dockerd logs (/var/log/buildsecrets-dockerd.log)
set -euo pipefail

readonly base_image="buildsecrets-test/runtime-curl:1"
readonly base_description="BuildSecrets.MSBuild offline test base"
readonly dotnet_root=/usr/share/dotnet
readonly dockerd_log="${BUILDSECRETS_DOCKERD_LOG:-/var/log/buildsecrets-dockerd.log}"
readonly dockerd_pidfile=/var/run/docker.pid

say() { echo "setup-engine: $*" >&2; }
die() {
  echo "setup-engine: error: $*" >&2
  exit 1
}

# True when the client reaches an engine (`version` fails without a server).
engine_answers() { "$1" version --format '{{.Server.Version}}' > /dev/null 2>&1; }

# Runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo > /dev/null 2>&1; then
    sudo "$@"
  else
    die "'$*' needs root and there is no sudo"
  fi
}

# Waits while another apt-get or dpkg runs (up to 10 minutes), so two installs do not collide.
wait_for_apt() {
  local waited=0
  while pgrep -x apt-get > /dev/null 2>&1 || pgrep -x apt > /dev/null 2>&1 || pgrep -x dpkg > /dev/null 2>&1; do
    if [ "$waited" -eq 0 ]; then
      say "waiting for another apt-get/dpkg to finish"
    fi
    if [ "$waited" -ge 600 ]; then
      die "another apt-get/dpkg has been running for 10 minutes"
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

apt_updated=
apt_install() {
  command -v apt-get > /dev/null 2>&1 || die "$* missing and there is no apt-get to install it; install it yourself"
  wait_for_apt
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    as_root apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || die "apt-get update failed"
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "$@" >&2 < /dev/null ||
    die "apt-get install $* failed"
}

package_installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2> /dev/null)" = "install ok installed" ]; }

# The docker client the docker.io package installs (normally /usr/bin/docker).
docker_io_client() {
  local client
  client="$(dpkg -L docker.io 2> /dev/null | grep -E '/bin/docker$' | head -n 1 || true)"
  echo "${client:-/usr/bin/docker}"
}

find_dockerd() {
  local dockerd
  dockerd="$(command -v dockerd 2> /dev/null || true)"
  [ -n "$dockerd" ] || dockerd="$(dpkg -L docker.io 2> /dev/null | grep -E '/bin/dockerd$' | head -n 1 || true)"
  [ -n "$dockerd" ] || { [ -x /usr/sbin/dockerd ] && dockerd=/usr/sbin/dockerd; } || true
  echo "$dockerd"
}

choose_client() {
  if [ -n "${BUILDSECRETS_DOCKER:-}" ]; then
    command -v "$BUILDSECRETS_DOCKER" > /dev/null 2>&1 || die "BUILDSECRETS_DOCKER=$BUILDSECRETS_DOCKER is not a program"
    say "client: $BUILDSECRETS_DOCKER (BUILDSECRETS_DOCKER)"
    echo "$BUILDSECRETS_DOCKER"
    return
  fi
  if command -v docker > /dev/null 2>&1 && docker buildx version > /dev/null 2>&1 && engine_answers docker; then
    say "client: docker on PATH ($(command -v docker); it has buildx and reaches an engine)"
    echo docker
    return
  fi
  local missing=()
  { package_installed docker.io && [ -x "$(docker_io_client)" ] && [ -n "$(find_dockerd)" ]; } || missing+=(docker.io)
  command -v busybox > /dev/null 2>&1 || missing+=(busybox-static)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
  local client
  client="$(docker_io_client)"
  [ -x "$client" ] || die "docker.io is installed but its client $client is missing"
  say "client: $client (docker.io; the docker on PATH has no buildx or reaches no engine)"
  echo "$client"
}

# Starts dockerd in the background when the client reaches no engine, and waits until it answers.
ensure_engine() {
  local cli="$1"
  if engine_answers "$cli"; then
    return
  fi
  case "${DOCKER_HOST:-unix:///var/run/docker.sock}" in
    unix:///var/run/docker.sock | unix:///run/docker.sock) ;;
    *) die "'$cli' reaches no engine at DOCKER_HOST=$DOCKER_HOST; start that engine or unset DOCKER_HOST" ;;
  esac
  [ -z "${DOCKER_CONTEXT:-}" ] || die "'$cli' reaches no engine in DOCKER_CONTEXT=$DOCKER_CONTEXT"

  local dockerd pid=""
  if [ -f "$dockerd_pidfile" ]; then
    pid="$(cat "$dockerd_pidfile" 2> /dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null && grep -q dockerd "/proc/$pid/cmdline" 2> /dev/null; then
      say "dockerd (pid $pid) runs but does not answer yet; waiting for it"
    else
      say "removing stale $dockerd_pidfile${pid:+ (pid $pid is gone)}"
      as_root rm -f "$dockerd_pidfile"
      pid=""
    fi
  fi
  if [ -z "$pid" ]; then
    dockerd="$(find_dockerd)"
    [ -n "$dockerd" ] || die "'$cli' reaches no engine and there is no dockerd to start (apt-get install docker.io)"
    say "starting $dockerd --bridge=none --iptables=false --ip6tables=false (log: $dockerd_log)"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" mkdir -p "$(dirname "$dockerd_log")"
    # Detached: its own session, and no descriptor of this script left open in it, so that
    # $(...) callers do not wait for it and it outlives the caller's terminal.
    (
      exec < /dev/null >> "$dockerd_log" 2>&1
      exec "${sudo[@]}" setsid nohup "$dockerd" --bridge=none --iptables=false --ip6tables=false
    ) &
  fi
  local tries
  for tries in $(seq 1 120); do
    if engine_answers "$cli"; then
      say "engine answers (after $((tries / 2)) s)"
      return
    fi
    sleep 0.5
  done
  say "dockerd did not answer within 60 s; the end of $dockerd_log:"
  tail -n 30 "$dockerd_log" >&2 2> /dev/null || true
  exit 1
}

# Copies the given files into the root folder, each with every shared library it needs (as ldd
# lists them, the dynamic loader included). Libraries already in the root are skipped.
copy_with_libraries() {
  local root="$1" file library
  shift
  for file in "$@"; do
    if [ ! -e "$root$file" ]; then
      mkdir -p "$root$(dirname "$file")"
      cp -L "$file" "$root$file"
    fi
    while read -r library; do
      if [ -e "$library" ] && [ ! -e "$root$library" ]; then
        mkdir -p "$root$(dirname "$library")"
        cp -L "$library" "$root$library"
      fi
    done < <(ldd "$file" 2> /dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' || true)
  done
}

build_root=""
cleanup() { if [ -n "$build_root" ]; then rm -rf "$build_root"; fi; }

build_base_image() {
  local cli="$1"
  if [ "${BUILDSECRETS_REBUILD_BASE:-}" != 1 ] && "$cli" image inspect "$base_image" > /dev/null 2>&1; then
    say "$base_image exists"
    return
  fi
  local busybox curl
  busybox="$(command -v busybox 2> /dev/null || true)"
  curl="$(command -v curl 2> /dev/null || true)"
  [ -n "$busybox" ] || die "no busybox on this machine (apt-get install busybox-static)"
  [ -n "$curl" ] || die "no curl on this machine (apt-get install curl)"
  [ -x "$dotnet_root/dotnet" ] && [ -d "$dotnet_root/shared/Microsoft.NETCore.App" ] ||
    die "no .NET runtime in $dotnet_root (the base image copies dotnet and Microsoft.NETCore.App from there)"

  say "building $base_image offline from this machine's busybox, curl and .NET runtime"
  build_root="$(mktemp -d /tmp/buildsecrets-rootfs.XXXXXX)"
  trap cleanup EXIT
  local root="$build_root"

  # Merged-/usr layout, as Debian 12 has it.
  mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,tmp,root,dev,proc,sys,var/tmp}
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"

  # curl and its libraries.
  mkdir -p "$root/usr/bin"
  cp -L "$curl" "$root/usr/bin/curl"
  copy_with_libraries "$root" "$(readlink -f "$curl")"

  # The .NET runtime: the muxer, hostfxr and Microsoft.NETCore.App (no SDK, no ASP.NET Core), and
  # the libraries its native parts need (libstdc++, libgcc_s, libm, ...).
  mkdir -p "$root$dotnet_root/shared"
  cp -L "$dotnet_root/dotnet" "$root$dotnet_root/dotnet"
  mkdir -p "$root$dotnet_root/host"
  cp -a "$dotnet_root/host/fxr" "$root$dotnet_root/host/fxr"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$root$dotnet_root/shared/Microsoft.NETCore.App"
  local natives=("$dotnet_root/dotnet")
  local native
  while IFS= read -r -d '' native; do
    natives+=("$native")
  done < <(find "$dotnet_root/host/fxr" "$dotnet_root/shared/Microsoft.NETCore.App" -name '*.so' -print0)
  copy_with_libraries "$root" "${natives[@]}"
  ln -s "$dotnet_root/dotnet" "$root/usr/bin/dotnet"

  # busybox (static from busybox-static; a dynamic one brings its libraries) and a link for each
  # of its applets, as `busybox --install -s` makes them, without shadowing curl or dotnet.
  cp -L "$busybox" "$root/usr/bin/busybox"
  copy_with_libraries "$root" "$(readlink -f "$busybox")"
  local applet
  while read -r applet; do
    [ -n "$applet" ] || continue
    applet="${applet#/}"
    [ "$applet" != linuxrc ] || continue
    if [ ! -e "$root/$applet" ] && [ ! -L "$root/$applet" ]; then
      mkdir -p "$root/$(dirname "$applet")"
      ln -s /usr/bin/busybox "$root/$applet"
    fi
  done < <("$busybox" --list-full 2> /dev/null || "$busybox" --list | sed 's|^|bin/|')
  for applet in sh cat ls echo env test mkdir rm cp grep find sleep true false wc; do
    [ -e "$root/usr/bin/$applet" ] || die "busybox at $busybox has no '$applet' applet"
  done

  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"

  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | "$cli" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet' \
    --change 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' \
    --change 'ENV DOTNET_ROOT=/usr/share/dotnet' \
    --change "LABEL org.opencontainers.image.description=\"$base_description\"" \
    --change 'WORKDIR /' \
    --change 'CMD ["/bin/sh"]' \
    - "$base_image" > /dev/null || die "docker import of $base_image failed"
  rm -rf "$build_root"
  build_root=""

  # A quick check that the shell, curl and the runtime start in it.
  if ! "$cli" run --rm --network none "$base_image" \
    sh -c 'curl --version > /dev/null && dotnet --list-runtimes | grep -q Microsoft.NETCore.App' >&2; then
    "$cli" rmi "$base_image" > /dev/null 2>&1 || true
    die "$base_image was imported but curl or dotnet does not start in it; removed it again"
  fi
  say "built $base_image ($("$cli" image inspect --format '{{.Size}}' "$base_image" | awk '{printf "%.0f MB", $1 / 1000000}'))"
}

# The SDK image buildsecrets-test/sdk:1: the base image plus this machine's whole .NET SDK
# (/usr/share/dotnet: SDK, targeting and apphost packs, ASP.NET Core), for multi-stage Dockerfiles
# whose first stage runs `dotnet restore` and `dotnet publish` (the private NuGet feed sample).
# Built offline on top of the base image; nothing is pulled.
build_sdk_image() {
  local cli="$1" sdk_image="buildsecrets-test/sdk:1"
  if [ "${BUILDSECRETS_REBUILD_BASE:-}" != 1 ] && "$cli" image inspect "$sdk_image" > /dev/null 2>&1; then
    say "$sdk_image exists"
    return
  fi
  [ -d "$dotnet_root/sdk" ] || die "no .NET SDK in $dotnet_root/sdk (the SDK image copies it from there)"
  say "building $sdk_image offline from $base_image and this machine's .NET SDK"
  build_root="$(mktemp -d /tmp/buildsecrets-sdkfs.XXXXXX)"
  trap cleanup EXIT
  local root="$build_root" natives=() native library
  mkdir -p "$root$dotnet_root"
  cp -a "$dotnet_root/." "$root$dotnet_root/"
  while IFS= read -r -d '' native; do
    natives+=("$native")
  done < <(find "$dotnet_root" -name '*.so' -print0)
  copy_with_libraries "$root" "${natives[@]}"
  # The runtime's crypto shim loads OpenSSL with dlopen (ldd does not list it): NuGet hashes with it.
  for library in /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /usr/lib/aarch64-linux-gnu/libssl.so.3 /usr/lib/aarch64-linux-gnu/libcrypto.so.3; do
    [ ! -e "$library" ] || copy_with_libraries "$root" "$library"
  done
  printf 'FROM %s\nCOPY . /\nENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false NUGET_XMLDOC_MODE=skip\nLABEL org.opencontainers.image.description="%s (SDK)"\n' \
    "$base_image" "$base_description" | DOCKER_BUILDKIT=0 "$cli" build -q -t "$sdk_image" -f - "$root" > /dev/null ||
    die "docker build of $sdk_image failed"
  rm -rf "$build_root"
  build_root=""
  if ! "$cli" run --rm --network none "$sdk_image" sh -c 'dotnet --list-sdks | grep -q .' >&2; then
    "$cli" rmi "$sdk_image" > /dev/null 2>&1 || true
    die "$sdk_image was built but 'dotnet --list-sdks' fails in it; removed it again"
  fi
  say "built $sdk_image ($("$cli" image inspect --format '{{.Size}}' "$sdk_image" | awk '{printf "%.0f MB", $1 / 1000000}'))"
}

main() {
  local cli
  cli="$(choose_client)"
  ensure_engine "$cli"
  build_base_image "$cli"
  build_sdk_image "$cli"
  echo "BUILDSECRETS_DOCKER=$cli"
}

main "$@"
