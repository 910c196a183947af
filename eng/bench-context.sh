#!/usr/bin/env bash
# Benchmark of the build context check (not a test): the check before docker starts reads every
# file of the context that the .dockerignore leaves in. For a Visual Studio solution used as the
# context (DockerfileContext=..), it must cost what the sources cost, not what bin/, obj/, .git/
# and node_modules/ hold.
# Builds a solution folder (samples/VsDockerSupport's .dockerignore; 4,000 source files; 60,000
# files in bin/, obj/, .git/objects/ and node_modules/), and the same folder with the sources only.
# Prints, for each, the check's seconds (best of BENCH_RUNS, default 5), the files and MB it read,
# and the ratio solution / sources (aim: close to 1); then the same for a walk that lists every
# file of every folder first (how the check walked before), for comparison.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${BENCH_RUNS:-5}"

dotnet build tests/BuildSecrets.MSBuild.Benchmarks -c Release -nologo -v:q > /dev/null
bench=(dotnet tests/BuildSecrets.MSBuild.Benchmarks/bin/Release/net10.0/BuildSecrets.MSBuild.Benchmarks.dll context)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# count, size, folder: files of random content (split writes them without a process per file).
fill() {
  mkdir -p "$3"
  head -c $(($1 * $2)) /dev/urandom | (cd "$3" && split -b "$2" -a 5 - f)
}

sources="$work/sources"
mkdir -p "$sources"
cp samples/VsDockerSupport/.dockerignore "$sources/"
fill 2000 4096 "$sources/App"
fill 2000 4096 "$sources/App.Core"
solution="$work/solution"
cp -a "$sources" "$solution"
fill 20000 1024 "$solution/App/bin/Release/net10.0"
fill 20000 1024 "$solution/App/obj/Release/net10.0"
fill 10000 1024 "$solution/.git/objects/pack"
fill 10000 1024 "$solution/web/node_modules/some-package"

measure() { # folder [every-folder] -> "seconds files MB" of the fastest run
  local run
  for run in $(seq 1 "$runs"); do
    "${bench[@]}" "$@"
  done | sed -E 's/check_seconds=([0-9.]+) files_read=([0-9]+) read_mb=([0-9.]+)/\1 \2 \3/' | sort -n | head -n 1
}

printf '%-22s %12s %10s %8s %8s\n' context "files there" "files read" "MB read" seconds
for walk in "" every-folder; do
  read -r source_s source_files source_mb < <(measure "$sources" $walk)
  read -r solution_s solution_files solution_mb < <(measure "$solution" $walk)
  label="${walk:+ (every folder)}"
  printf '%-22s %12s %10s %8s %8s\n' "sources$label" "$(find "$sources" -type f | wc -l)" "$source_files" "$source_mb" "$source_s"
  printf '%-22s %12s %10s %8s %8s\n' "solution$label" "$(find "$solution" -type f | wc -l)" "$solution_files" "$solution_mb" "$solution_s"
  awk -v a="$solution_s" -v b="$source_s" -v l="$label" 'BEGIN { printf "ratio solution/sources%s: %.2f\n", l, a / b }'
done
