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
# Then the issue's case (#10): a large context (BENCH_LARGE_FILES files of 100 KB, default 4,000, so
# about 400 MB, plus a small app/ folder of 40 files) checked through the production stage
# (LeakPrevention) with three Dockerfiles: 'COPY . /app' (the whole context, what the check read
# for any Dockerfile before it read only what the Dockerfile takes), 'COPY app /app' and no COPY.
# For each: the first check in a fresh obj/ and a second one that finds the record of clean files
# (seconds, best of BENCH_RUNS; files read and left unread), and the ratios to the whole context.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${BENCH_RUNS:-5}"

dotnet build tests/BuildSecrets.MSBuild.Benchmarks -c Release -nologo -v:q > /dev/null
dll=tests/BuildSecrets.MSBuild.Benchmarks/bin/Release/net10.0/BuildSecrets.MSBuild.Benchmarks.dll
bench=(dotnet "$dll" context)

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

# The issue's case: a large context, and what each Dockerfile makes the check read.
large="$work/large"
large_files="${BENCH_LARGE_FILES:-4000}"
for part in 0 1 2 3 4 5 6 7 8 9; do
  fill $((large_files / 10)) 102400 "$large/data/part$part"
done
fill 40 4096 "$large/app"
export BENCH_SECRET="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$work/home"
printf 'FROM scratch\nCOPY . /app\nRUN --mount=type=secret,id=bench true\n' > "$work/Dockerfile.whole"
printf 'FROM scratch\nCOPY app /app\nRUN --mount=type=secret,id=bench true\n' > "$work/Dockerfile.folder"
printf 'FROM scratch\nRUN --mount=type=secret,id=bench true\n' > "$work/Dockerfile.none"

check() { # Dockerfile obj -> "seconds read skipped MB errors"
  dotnet "$dll" context-check "$large" "$1" "$2" "$work/home" \
    | sed -E 's/check_seconds=([0-9.]+) files_read=([0-9]+) files_skipped=([0-9]+) read_mb=([0-9.]+) errors=([0-9]+)/\1 \2 \3 \4 \5/'
}

measure_check() { # Dockerfile -> "first-seconds first-read first-MB second-seconds second-read second-skipped" (best of runs)
  local run obj="$work/obj" first=() second=()
  for run in $(seq 1 "$runs"); do
    rm -rf "$obj"
    first+=("$(check "$1" "$obj")")
    second+=("$(check "$1" "$obj")")
  done
  read -r f_s f_read _ f_mb f_err < <(printf '%s\n' "${first[@]}" | sort -n | head -n 1)
  read -r s_s s_read s_skipped _ s_err < <(printf '%s\n' "${second[@]}" | sort -n | head -n 1)
  if [ "$f_err" != 0 ] || [ "$s_err" != 0 ]; then echo "the check reported errors for $1" >&2; exit 1; fi
  echo "$f_s $f_read $f_mb $s_s $s_read $s_skipped"
}

echo
printf 'large context: %s files, %s MB\n' "$(find "$large" -type f | wc -l)" "$(du -sm "$large" | cut -f1)"
printf '%-14s %10s %8s %8s | %-26s %8s\n' Dockerfile "files read" "MB read" seconds "second run: read/unread" seconds
declare -A first_s second_s
for kind in whole folder none; do
  read -r f_s f_read f_mb s_s s_read s_skipped < <(measure_check "$work/Dockerfile.$kind")
  first_s[$kind]=$f_s
  second_s[$kind]=$s_s
  case $kind in whole) label="COPY . /app";; folder) label="COPY app /app";; none) label="no COPY";; esac
  printf '%-14s %10s %8s %8s | %-26s %8s\n' "$label" "$f_read" "$f_mb" "$f_s" "$s_read/$s_skipped" "$s_s"
done
awk -v w="${first_s[whole]}" -v f="${first_s[folder]}" -v n="${first_s[none]}" -v r="${second_s[whole]}" 'BEGIN {
  printf "ratio whole context / COPY app: %.1f; whole context / no COPY: %.1f; whole context first run / with the record: %.1f\n", w / f, w / n, w / r
}'
