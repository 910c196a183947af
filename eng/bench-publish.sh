#!/usr/bin/env bash
# Benchmark of a developer's publish loop (not a test), on samples/HelloSecrets copied to a folder
# of its own, with its download server on 127.0.0.1 and the package packed from this tree. Two
# targets, each measured side by side in one run, as the median of BENCH_RUNS runs (default 5):
#   no-op:    'dotnet publish' with the package, nothing changed
#             / the same publish with DockerBuildEnabled=false (no image)           aim: <= 1.10
#   one line: 'dotnet publish' with the package after a one-line change to Program.cs
#             / the same publish with DockerBuildEnabled=false, then the same
#               'docker build --secret' by hand                                       aim: <= 1.25
# The cases alternate within each run so that a busy moment of the machine hits all of them. Prints
# each median, the ratios (of the medians, and the median of each run's own ratio), and the
# machine (cores, memory, engine, load average); then, with
# BENCH_SCAN=1, the scan benchmark (eng/bench-scan.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${BENCH_RUNS:-5}"
port="${BENCH_PORT:-8093}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=0
setup="$(bash eng/setup-engine.sh 2>/dev/null)"
export "${setup?}"
export DOCKER_BUILDKIT=1
docker_cli="$BUILDSECRETS_DOCKER"

work="${BENCH_WORK:-$(mktemp -d)}"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  "$docker_cli" image rm -f "bench-hello-$$" "bench-hello-hand-$$" > /dev/null 2>&1 || true
  [ -n "${BENCH_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

dotnet pack BuildSecrets.MSBuild.sln -c Release -o "$work/feed" -nologo -v:q > /dev/null
dotnet build samples/AuthServer -c Release -nologo -v:q > /dev/null
export NUGET_PACKAGES="$work/packages"

umask 077
printf 'machine 127.0.0.1\nlogin admin\npassword bench-%s\n' "$RANDOM$RANDOM" > "$work/netrc"
umask 022
dotnet samples/AuthServer/bin/Release/net10.0/AuthServer.dll "$port" admin "$(sed -n 's/^password //p' "$work/netrc")" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:$port/" > /dev/null 2>&1 && break; sleep 0.2; done

app="$work/app"
mkdir -p "$app"
cp samples/HelloSecrets/Dockerfile samples/HelloSecrets/Program.cs samples/HelloSecrets/HelloSecrets.csproj "$app/"
cat > "$app/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
CONFIG
printf '<Project />\n' > "$app/Directory.Build.props"
printf '<Project />\n' > "$app/Directory.Packages.props"

repository="bench-hello-$$"
props=(-c Release -nologo -v:q -tl:off "-p:NetrcPath=$work/netrc" "-p:MessageUrl=http://127.0.0.1:$port/" "-p:DockerCli=$docker_cli" "-p:ContainerRepository=$repository")
publish() { dotnet publish "$app" "${props[@]}" "$@" > "$work/publish.log" 2>&1 || { cat "$work/publish.log" >&2; exit 1; }; }
by_hand() {
  publish -p:DockerBuildEnabled=false
  "$docker_cli" build -q --network host --secret "id=netrc,src=$work/netrc" --build-arg "MESSAGE_URL=http://127.0.0.1:$port/" \
    -t "bench-hello-hand-$$" -f "$app/Dockerfile" "$app/bin/Release/net10.0/publish" > /dev/null
}
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
change() { sed -i -E "s|^// bench .*||" "$app/Program.cs"; printf '// bench %s\n' "$1" >> "$app/Program.cs"; }

# Warm up: restore, the first build of the image, the build servers.
restore_free=(--no-restore)
dotnet restore "$app" -nologo -v:q > /dev/null
publish "${restore_free[@]}"
by_hand

: > "$work/noop-package"; : > "$work/noop-plain"; : > "$work/line-package"; : > "$work/line-hand"
# Each run: a one-line change published with the package; then, nothing changed since, the same
# publish again, and without an image; then another one-line change published by hand.
for run in $(seq 1 "$runs"); do
  change "package $run"
  seconds publish "${restore_free[@]}" >> "$work/line-package"
  seconds publish "${restore_free[@]}" >> "$work/noop-package"
  seconds publish "${restore_free[@]}" -p:DockerBuildEnabled=false >> "$work/noop-plain"
  change "hand $run"
  seconds by_hand >> "$work/line-hand"
done

noop_package=$(median < "$work/noop-package")
noop_plain=$(median < "$work/noop-plain")
line_package=$(median < "$work/line-package")
line_hand=$(median < "$work/line-hand")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), engine $("$docker_cli" version --format '{{.Server.Version}}'), load average $(cut -d' ' -f1-3 /proc/loadavg); medians of $runs runs"
printf '%-58s %8s\n' "what" "seconds"
printf '%-58s %8s\n' "no-op publish with the package" "$noop_package"
printf '%-58s %8s\n' "no-op publish, DockerBuildEnabled=false (no image)" "$noop_plain"
printf '%-58s %8s\n' "one-line change, publish with the package" "$line_package"
printf '%-58s %8s\n' "one-line change, publish without image + docker build" "$line_hand"
# Each run's own ratio too: the cases of one run are seconds apart, so a busy moment of a shared
# machine weighs on both sides of it.
paired() { paste -d' ' "$1" "$2" | awk '{ printf "%.4f\n", $1 / $2 }' | median; }
echo "no-op ratio (aim <= 1.10): $(ratio "$noop_package" "$noop_plain") (ratio of the medians), $(awk -v r="$(paired "$work/noop-package" "$work/noop-plain")" 'BEGIN { printf "%.2f", r }') (median of each run's ratio)"
echo "one-line ratio (aim <= 1.25): $(ratio "$line_package" "$line_hand") (ratio of the medians), $(awk -v r="$(paired "$work/line-package" "$work/line-hand")" 'BEGIN { printf "%.2f", r }') (median of each run's ratio)"
if [ "${BENCH_SCAN:-0}" = 1 ]; then
  bash eng/bench-scan.sh
fi
