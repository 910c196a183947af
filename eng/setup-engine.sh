#!/usr/bin/env bash
# Makes a container engine with BuildKit answer, and builds the offline base image the tests and
# the tutorial use. Idempotent: a second run only checks.
#
# Prints one line on stdout, BUILDSECRETS_DOCKER=<client>, the docker client to build with;
# everything else goes to stderr. Use it as: export "$(eng/setup-engine.sh)".
#
# - BUILDSECRETS_DOCKER set: that client is used as it is.
# - A client with buildx on PATH that reaches an engine (Docker Desktop, a CI service): used as it is.
# - Otherwise Debian's docker.io (engine and client 20.10, whose client builds with BuildKit when
#   DOCKER_BUILDKIT=1) is installed when missing and its daemon started without networking of its
#   own (RUN steps then use --network host or none).
# Nothing is pulled: the base image is imported from the machine's busybox, curl and .NET runtime.
set -euo pipefail

base_image="buildsecrets-test/runtime-curl:1"
say() { echo "setup-engine: $*" >&2; }

engine_answers() { "$1" version --format '{{.Server.Version}}' > /dev/null 2>&1; }

choose_client() {
  if [ -n "${BUILDSECRETS_DOCKER:-}" ]; then
    echo "$BUILDSECRETS_DOCKER"
    return
  fi
  if command -v docker > /dev/null 2>&1 && docker buildx version > /dev/null 2>&1 && engine_answers docker; then
    echo docker
    return
  fi
  echo /usr/bin/docker
}

# Installs those of the given Debian packages (docker.io, busybox-static) whose programs are missing.
install_packages() {
  local missing=() package
  for package in "$@"; do
    case "$package" in
      docker.io) [ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ] || missing+=(docker.io) ;;
      busybox-static) command -v busybox > /dev/null 2>&1 || missing+=(busybox-static) ;;
    esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

start_daemon() {
  local cli="$1"
  if engine_answers "$cli"; then
    return
  fi
  say "starting dockerd (--bridge=none --iptables=false --ip6tables=false)"
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2> /dev/null; then
    rm -f /var/run/docker.pid
  fi
  nohup /usr/sbin/dockerd --bridge=none --iptables=false --ip6tables=false > /var/log/buildsecrets-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    if engine_answers "$cli"; then
      say "dockerd answers"
      return
    fi
    sleep 0.5
  done
  say "dockerd did not answer within 60 s; its log:"
  tail -n 30 /var/log/buildsecrets-dockerd.log >&2 || true
  exit 1
}

# Copies a file and every shared library it needs (as ldd lists them) into the root folder.
copy_with_libraries() {
  local root="$1" file="$2"
  mkdir -p "$root$(dirname "$file")"
  cp -L "$file" "$root$file"
  ldd "$file" 2> /dev/null | grep -oE '/[^ ]+' | while read -r library; do
    if [ -e "$library" ] && [ ! -e "$root$library" ]; then
      mkdir -p "$root$(dirname "$library")"
      cp -L "$library" "$root$library"
    fi
  done
}

build_base_image() {
  local cli="$1"
  if "$cli" image inspect "$base_image" > /dev/null 2>&1; then
    return
  fi
  say "building $base_image offline (busybox, curl, the .NET runtime)"
  local root
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN

  mkdir -p "$root"/{bin,usr/bin,etc,tmp,root,lib64} && chmod 1777 "$root/tmp" && chmod 700 "$root/root"
  local busybox
  busybox="$(command -v busybox)"
  cp "$busybox" "$root/bin/busybox"
  for applet in sh ash cat ls echo env test [ mkdir rm cp mv grep find sleep true false wc head tail id pwd chmod ln sed tr printf base64 sha256sum; do
    ln -sf busybox "$root/bin/$applet"
  done

  copy_with_libraries "$root" "$(readlink -f "$(command -v curl)")"
  [ -e "$root/usr/bin/curl" ] || ln -sf "$(readlink -f "$(command -v curl)")" "$root/usr/bin/curl"

  local dotnet_root=/usr/share/dotnet
  mkdir -p "$root$dotnet_root/shared"
  cp -L "$dotnet_root/dotnet" "$root$dotnet_root/dotnet"
  cp -a "$dotnet_root/host" "$root$dotnet_root/host"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$root$dotnet_root/shared/Microsoft.NETCore.App"
  for library in "$root$dotnet_root/dotnet" "$dotnet_root"/host/fxr/*/libhostfxr.so "$dotnet_root"/shared/Microsoft.NETCore.App/*/*.so; do
    ldd "${library#"$root"}" 2> /dev/null | grep -oE '/[^ ]+' | while read -r dependency; do
      if [ -e "$dependency" ] && [ ! -e "$root$dependency" ]; then
        mkdir -p "$root$(dirname "$dependency")"
        cp -L "$dependency" "$root$dependency"
      fi
    done
  done
  ln -sf "$dotnet_root/dotnet" "$root/usr/bin/dotnet"

  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

  tar -C "$root" -c . | "$cli" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet' \
    --change 'ENV DOTNET_ROOT=/usr/share/dotnet' \
    --change 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' \
    --change 'LABEL org.opencontainers.image.description="BuildSecrets.MSBuild offline test base"' \
    --change 'WORKDIR /' \
    --change 'CMD ["/bin/sh"]' \
    - "$base_image" > /dev/null
  say "built $base_image"
}

cli="$(choose_client)"
if [ "$cli" = /usr/bin/docker ]; then
  install_packages docker.io busybox-static
  start_daemon "$cli"
else
  install_packages busybox-static
  if ! engine_answers "$cli"; then
    say "the client '$cli' reaches no engine"
    exit 1
  fi
fi
build_base_image "$cli"
echo "BUILDSECRETS_DOCKER=$cli"
