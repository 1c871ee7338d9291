#!/usr/bin/env bash
# `make fuzz`: runs the SharpFuzz targets of fuzz/Kubegate.Fuzz under afl-fuzz, one after another, each for
# FUZZ_SECONDS, and keeps every crash and hang found as a regression input in fuzz/corpus/<target>/, which the unit
# tests replay (tests/Kubegate.Tests/Fuzzing/FuzzCorpusReplayTests.cs).
#
#   FUZZ_TARGET=all|<name>[,<name>...]  targets (`dotnet out/fuzz/bin/Kubegate.Fuzz.dll --list`); default all
#   FUZZ_SECONDS=60                     run time per target
#   FUZZ_TIMEOUT_MS=2000                afl-fuzz's per-input timeout; a slower input is run again with
#   FUZZ_HANG_MS=10000                  this one, and recorded as a hang only if it exceeds it too
#   FUZZ_NICE=10                        niceness of the fuzzer (it takes a whole core)
#   FUZZ_SAVE_QUEUE=1                   also keep the inputs that reached new code (queue-*), to grow the corpus
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dotnet=${DOTNET:-dotnet}
seconds=${FUZZ_SECONDS:-60}
timeout_ms=${FUZZ_TIMEOUT_MS:-2000}
hang_ms=${FUZZ_HANG_MS:-10000}
nice_level=${FUZZ_NICE:-10}
out=$root/out/fuzz
bin=$out/bin

# afl-fuzz: Debian's AFL++ (SharpFuzz speaks its fork-server protocol). Installed when we are root with apt.
if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "fuzz: installing afl++ (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
  else
    echo "fuzz: afl-fuzz is missing; install it with: sudo apt-get install afl++" >&2
    exit 1
  fi
fi

# Build into a staging folder and copy it fresh each time: instrumentation rewrites the assemblies in place, and an
# incremental build would otherwise mix instrumented and plain copies.
echo "fuzz: building fuzz/Kubegate.Fuzz"
"$dotnet" build fuzz/Kubegate.Fuzz/Kubegate.Fuzz.csproj -c Release -o "$out/build" --nologo -v quiet
rm -rf "$bin" && cp -r "$out/build" "$bin"
(cd fuzz && "$dotnet" tool restore >/dev/null)
for assembly in kubegate.dll YamlDotNet.dll; do
  (cd fuzz && "$dotnet" tool run sharpfuzz "$bin/$assembly" >/dev/null)
done
echo "fuzz: instrumented kubegate.dll and YamlDotNet.dll"

# --list and --check run the plain build: instrumented code writes to afl's shared memory and runs only under afl-fuzz.
mapfile -t all < <("$dotnet" "$out/build/Kubegate.Fuzz.dll" --list | awk '{print $1}')
if [ "${FUZZ_TARGET:-all}" = all ]; then
  targets=("${all[@]}")
else
  IFS=, read -r -a targets <<<"$FUZZ_TARGET"
fi

summary=()
status=0
for target in "${targets[@]}"; do
  if ! printf '%s\n' "${all[@]}" | grep -qx "$target"; then
    echo "fuzz: unknown target '$target'; targets: ${all[*]}" >&2
    exit 2
  fi

  corpus=$root/fuzz/corpus/$target
  dir=$out/$target
  rm -rf "$dir" && mkdir -p "$dir/in" "$dir/work"
  cp "$corpus"/* "$dir/in/"
  dictionary=()
  [ "$target" = client-hello ] || dictionary=(-x "$root/fuzz/config.dict")

  echo "fuzz: $target for ${seconds}s (inputs: $(ls "$dir/in" | wc -l))"
  # dotnet itself carries no afl instrumentation (the .NET assemblies do), hence no binary check; the status screen
  # only on a terminal; no core-dump or CPU-governor checks (a shared machine); a seed that crashes or hangs (an
  # unfixed regression input) is skipped rather than fatal (AFL_SKIP_CRASHES up to AFL++ 4.1x, then
  # AFL_IGNORE_SEED_PROBLEMS; "-t N+" for timeouts); -m none: .NET reserves more virtual memory than afl's default
  # limit allows. The target reads its input on stdin.
  settings=(AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
    AFL_SKIP_CRASHES=1 AFL_IGNORE_SEED_PROBLEMS=1 AFL_IGNORE_UNKNOWN_ENVS=1
    AFL_HANG_TMOUT="$hang_ms" AFL_FORKSRV_INIT_TMOUT=60000 KUBEGATE_FUZZ_WORK="$dir/work")
  # Without a terminal afl-fuzz prints a line per queue entry: that goes to a log, and its tail on failure.
  log=/dev/stdout
  if [ ! -t 1 ]; then
    settings+=(AFL_NO_UI=1)
    log=$dir/afl-fuzz.log
  fi
  if ! env "${settings[@]}" nice -n "$nice_level" afl-fuzz -i "$dir/in" -o "$dir/findings" -t "$timeout_ms+" -m none -V "$seconds" \
    "${dictionary[@]}" -- "$dotnet" "$bin/Kubegate.Fuzz.dll" "$target" </dev/null >"$log" 2>&1; then
    [ "$log" = /dev/stdout ] || tail -n 30 "$log" >&2
    echo "fuzz: afl-fuzz failed for $target" >&2
    status=1
    continue
  fi

  stats=$dir/findings/default/fuzzer_stats
  stat_of() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  new=()
  for kind in crashes hangs; do
    for input in "$dir/findings/default/$kind"/id:*; do
      [ -e "$input" ] || continue
      name=${kind%es}; name=${name%s}-$(sha1sum "$input" | cut -c1-16)
      if [ ! -e "$corpus/$name" ]; then
        cp "$input" "$corpus/$name"
        new+=("$corpus/$name")
      fi
    done
  done
  if [ -n "${FUZZ_SAVE_QUEUE:-}" ]; then
    for input in "$dir/findings/default/queue"/id:*; do
      case $input in *orig:*) continue ;; esac
      name=queue-$(sha1sum "$input" | cut -c1-16)
      [ -e "$corpus/$name" ] || cp "$input" "$corpus/$name"
    done
  fi

  line="$target: $(stat_of execs_done) execs in $(stat_of run_time)s ($(stat_of execs_per_sec)/s), corpus $(stat_of corpus_count), crashes $(stat_of saved_crashes), hangs $(stat_of saved_hangs)"
  summary+=("$line")
  echo "fuzz: $line"
  if [ ${#new[@]} -gt 0 ]; then
    status=1
    echo "fuzz: ${#new[@]} new regression input(s) for $target, replayed without the fuzzer:"
    "$dotnet" "$out/build/Kubegate.Fuzz.dll" --check "$target" "${new[@]}" || true
  fi
done

printf 'fuzz: %s\n' "${summary[@]}"
[ $status = 0 ] && echo "fuzz: no crash, no hang" || echo "fuzz: see the new inputs under fuzz/corpus/ (make test replays them); fix, then commit them" >&2
exit $status
