#!/usr/bin/env bash
# Starts a second engine beside the one eng/setup-engine.sh starts: Docker 26 with the buildx
# plugin and the containerd image store, as Docker Desktop 4.34+ and Docker 26+ on Linux use it.
# Idempotent: a second run only checks (about a second).
#
# The engine comes from Debian 13's packages (docker.io and docker-cli 26.1.5, containerd 1.7.24,
# docker-buildx 0.13.1), fetched through a second apt source list and extracted with dpkg-deb -x
# under /var/cache/buildsecrets/docker26; nothing is installed into the system. Debian 13's runc
# and docker-init need a newer glibc than Debian 12's, so the system's own runc and docker-init
# serve instead. Everything of this engine is its own: containerd (config, root, state, socket;
# no CRI plugin), dockerd's --data-root, --exec-root, --pidfile, socket and --cgroup-parent. It
# runs without networking of its own (--bridge=none, no iptables), like the first engine.
#
# Usage: eng/setup-docker26.sh <client of the first engine>
# The base image buildsecrets-test/runtime-curl:1 and the SDK image buildsecrets-test/sdk:1 are copied from the first engine (save | load).
# Prints on stdout, one per line, what a build with this engine needs:
#   BUILDSECRETS_DOCKER26=<the Docker 26 client>
#   BUILDSECRETS_DOCKER26_HOST=unix://<its socket>      (DOCKER_HOST of its builds)
#   BUILDSECRETS_DOCKER26_CONFIG=<folder>               (DOCKER_CONFIG: holds cli-plugins/docker-buildx)
# Everything else goes to stderr.
set -euo pipefail

readonly first_client="${1:?usage: $0 <docker client of the first engine>}"
readonly base_image="buildsecrets-test/runtime-curl:1"
readonly sdk_image="buildsecrets-test/sdk:1"
readonly cache=/var/cache/buildsecrets/docker26
readonly state=/var/lib/buildsecrets/docker26
readonly run=/run/buildsecrets/docker26
readonly log=/var/log/buildsecrets-docker26.log
readonly root="$cache/root"
readonly client="$root/usr/bin/docker"
readonly socket="$run/docker.sock"
readonly containerd_socket="$run/containerd/containerd.sock"
readonly config="$state/docker-config"
readonly packages=(docker.io docker-cli containerd docker-buildx)
# The versions this script is written for (Debian 13); another version stops it, not silently.
readonly versions="docker.io=26.1.5 docker-cli=26.1.5 containerd=1.7.24 docker-buildx=0.13.1"

say() { echo "setup-docker26: $*" >&2; }
die() {
  echo "setup-docker26: error: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (it writes under /var/cache, /var/lib and /run and starts daemons)"

answers() { DOCKER_HOST="unix://$socket" "$client" version --format '{{.Server.Version}}' > /dev/null 2>&1; }

# The trixie source list, with the mirror and key of the machine's own Debian source.
source_list() {
  local mirror="http://deb.debian.org/debian" keyring=/usr/share/keyrings/debian-archive-keyring.gpg found
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    found="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
    [ -z "$found" ] || mirror="$found"
    found="$(awk '/^Signed-By:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
    [ -z "$found" ] || keyring="$found"
  fi
  echo "deb [signed-by=$keyring] $mirror trixie main"
}

# Downloads and extracts the packages once; the extracted tree is marked with the versions.
fetch_packages() {
  if [ -f "$root/.versions" ] && [ "$(cat "$root/.versions")" = "$versions" ]; then
    return
  fi
  command -v apt-get > /dev/null 2>&1 || die "no apt-get to fetch Debian 13's docker.io, docker-cli, containerd and docker-buildx"
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/debs"
  source_list > "$cache/apt/trixie.list"
  local apt=(apt-get -q -o "Dir::Etc::sourcelist=$cache/apt/trixie.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache" -o APT::Sandbox::User=root)
  say "fetching Debian 13's ${packages[*]} (apt-get download; not installed)"
  "${apt[@]}" update >&2 || die "apt-get update of the Debian 13 list failed"
  local package version
  for package in "${packages[@]}"; do
    version="$("${apt[@]/#apt-get/apt-cache}" policy "$package" 2> /dev/null | awk '/Candidate:/ { print $2 }')"
    case " $versions " in
      *" $package=${version%%[+~]*} "*) ;;
      *) die "Debian 13 offers $package '$version'; this script is written for $versions" ;;
    esac
  done
  rm -f "$cache/debs/"*.deb
  (cd "$cache/debs" && "${apt[@]}" download "${packages[@]}" >&2) || die "apt-get download failed"
  rm -rf "$root"
  mkdir -p "$root"
  local deb
  for deb in "$cache/debs/"*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  for package in dockerd docker containerd containerd-shim-runc-v2; do
    [ -x "$root/usr/bin/$package" ] || [ -x "$root/usr/sbin/$package" ] || die "$package is not in the extracted packages"
  done
  [ -x "$root/usr/libexec/docker/cli-plugins/docker-buildx" ] || die "docker-buildx is not in the extracted packages"
  echo "$versions" > "$root/.versions"
}

# Debian 12's runc and docker-init (Debian 13's need glibc 2.38).
ensure_system_tools() {
  local missing=()
  [ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ] || missing+=(runc)
  [ -x /usr/bin/docker-init ] || missing+=(tini)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    apt-get -q update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 < /dev/null ||
      die "apt-get install ${missing[*]} failed"
  fi
}

# The buildx plugin in a DOCKER_CONFIG of its own (the first engine's clients do not see it).
ensure_config() {
  mkdir -p "$config/cli-plugins"
  ln -sfn "$root/usr/libexec/docker/cli-plugins/docker-buildx" "$config/cli-plugins/docker-buildx"
  [ -f "$config/config.json" ] || echo '{}' > "$config/config.json"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

# Starts a program detached (own session, no descriptor of this script), logging to $log.
detach() {
  (
    exec < /dev/null >> "$log" 2>&1
    exec env PATH="$root/usr/bin:$root/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin" setsid nohup "$@"
  ) &
}

start_engine() {
  if answers; then
    say "Docker 26 answers at $socket"
    return
  fi
  mkdir -p "$state/data" "$state/containerd" "$run/exec" "$run/containerd/state"
  cat > "$state/containerd.toml" << EOF
version = 2
root = "$state/containerd"
state = "$run/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$containerd_socket"

[ttrpc]
  address = "$containerd_socket.ttrpc"
EOF
  echo '{"features":{"containerd-snapshotter":true}}' > "$state/daemon.json"

  if ! alive "$run/containerd.pid"; then
    say "starting containerd 1.7 (config $state/containerd.toml, log $log)"
    rm -f "$containerd_socket"
    detach "$root/usr/bin/containerd" --config "$state/containerd.toml"
    echo $! > "$run/containerd.pid"
  fi
  local tries
  for tries in $(seq 1 60); do
    [ -S "$containerd_socket" ] && break
    sleep 0.5
  done
  [ -S "$containerd_socket" ] || { tail -n 20 "$log" >&2; die "containerd did not open $containerd_socket within 30 s"; }

  if ! alive "$run/docker.pid"; then
    say "starting dockerd 26 (data root $state/data, socket $socket)"
    rm -f "$socket"
    detach "$root/usr/sbin/dockerd" \
      --config-file "$state/daemon.json" \
      --containerd "$containerd_socket" \
      --data-root "$state/data" \
      --exec-root "$run/exec" \
      --pidfile "$run/docker.pid" \
      -H "unix://$socket" \
      --cgroup-parent buildsecrets-docker26 \
      --init-path /usr/bin/docker-init \
      --bridge=none --iptables=false --ip6tables=false
  fi
  for tries in $(seq 1 120); do
    if answers; then
      say "Docker 26 answers (after $((tries / 2)) s)"
      return
    fi
    sleep 0.5
  done
  tail -n 30 "$log" >&2 || true
  die "dockerd 26 did not answer within 60 s; see $log"
}

copy_image() { # image
  # The same image keeps its creation time through save | load; an image built again moves it.
  local image="$1" created
  created="$("$first_client" image inspect --format '{{.Created}}' "$image" 2> /dev/null)" ||
    die "the first engine has no $image (eng/setup-engine.sh builds it)"
  if [ "$(DOCKER_HOST="unix://$socket" "$client" image inspect --format '{{.Created}}' "$image" 2> /dev/null)" = "$created" ]; then
    say "$image exists in Docker 26"
    return
  fi
  say "copying $image into Docker 26 ($first_client save | load)"
  "$first_client" save "$image" | DOCKER_HOST="unix://$socket" "$client" load >&2 || die "could not load $image into Docker 26"
}

copy_base_image() {
  copy_image "$base_image"
  # The SDK image, for the private-feed sample's build stage.
  copy_image "$sdk_image"
}

main() {
  fetch_packages
  ensure_system_tools
  ensure_config
  start_engine
  copy_base_image
  DOCKER_HOST="unix://$socket" DOCKER_CONFIG="$config" "$client" buildx version > /dev/null 2>&1 || die "the buildx plugin in $config does not answer"
  echo "BUILDSECRETS_DOCKER26=$client"
  echo "BUILDSECRETS_DOCKER26_HOST=unix://$socket"
  echo "BUILDSECRETS_DOCKER26_CONFIG=$config"
}

main "$@"
