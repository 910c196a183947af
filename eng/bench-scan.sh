#!/usr/bin/env bash
# Benchmark of the image scan (not a test): for a medium and a large image built on the offline
# base image, compares the scan as the task runs it ('docker save' streamed into the scanner) with
# 'docker save' alone, and reports the scanner's peak memory.
# The scan searches for at least 200 strings (the benchmark program's secrets), as many as a few
# structured secrets yield. Prints, per size: save seconds, scan seconds, their ratio (aim: at most
# 1.3), peak working set (aim: flat, not growing with the image), the number of search strings and
# the load average (the machine may be shared: the figures are only as good as it is quiet).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(bash eng/setup-engine.sh)"
export DOCKER_BUILDKIT=1
docker_cli="$BUILDSECRETS_DOCKER"
base=buildsecrets-test/runtime-curl:1
runs="${BENCH_RUNS:-3}"

dotnet build tests/BuildSecrets.MSBuild.Benchmarks -c Release -nologo -v:q > /dev/null
bench=(dotnet tests/BuildSecrets.MSBuild.Benchmarks/bin/Release/net10.0/BuildSecrets.MSBuild.Benchmarks.dll)

work="$(mktemp -d)"
# The engine may be shared: the images have names of their own.
images="buildsecrets-bench-$$"
trap 'rm -rf "$work"; "$docker_cli" image rm -f "$images:medium" "$images:large" > /dev/null 2>&1 || true' EXIT

build_image() { # name, MB of random data added in 4 layers
  local name="$1" mb="$2" quarter=$(($2 / 4))
  mkdir -p "$work/$name"
  cat > "$work/$name/Dockerfile" <<DOCKERFILE
FROM $base
RUN mkdir /data && head -c ${quarter}m /dev/urandom > /data/a
RUN head -c ${quarter}m /dev/urandom > /data/b
RUN head -c ${quarter}m /dev/urandom > /data/c
RUN head -c ${quarter}m /dev/urandom > /data/d
DOCKERFILE
  "$docker_cli" build -q --network none -t "$images:$name" "$work/$name" > /dev/null
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); elapsed "$start" "$end"; }
best() { sort -n | head -n 1; }

printf '%-7s %9s %10s %10s %7s %16s %8s  %s\n' image "added MB" "save s" "scan s" ratio "peak memory MB" strings "load average"
for size in medium:200 large:800; do
  name="${size%%:*}" mb="${size##*:}"
  build_image "$name" "$mb"
  image="$images:$name"
  save=$(for _ in $(seq "$runs"); do seconds "$docker_cli" save "$image"; done | best)
  scan=$(for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    "${bench[@]}" "$docker_cli" "$image" "$base" > "$work/scan.txt"
    end=$(date +%s.%N)
    elapsed "$start" "$end"
  done | best)
  scan_line="$(cat "$work/scan.txt")"
  peak=$(echo "$scan_line" | sed -E 's/.*peak_working_set_mb=([0-9.]+).*/\1/')
  strings=$(echo "$scan_line" | sed -E 's/.*search_strings=([0-9]+).*/\1/')
  printf '%-7s %9s %10.2f %10.2f %7.2f %16s %8s  %s\n' "$name" "$mb" "$save" "$scan" "$(awk -v a="$scan" -v b="$save" 'BEGIN { print a / b }')" "$peak" "$strings" "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "        scanner: $scan_line" >&2
done
