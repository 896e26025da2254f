#!/usr/bin/env bash
# Fuzzes every parser of hostile input with AFL++ (Debian's afl++, stable Rust): the decrypted
# bundle reader, contact cards, EDTF dates, testimony JSON, key files, log frames, drafts, settings,
# snapshots after decryption, attachment sniffing, recovery keys and search (the entry points
# are in src/fuzzing.rs; `cargo run --example fuzz_seeds` remakes their seeds). Each target runs for
# FUZZ_SECONDS (default 3600: `make fuzz`; `make test` runs a short pass) from the seeds in
# fuzz/corpus/<target>, two at a time (one per core); findings go to target/fuzz/<target>. Fails
# if any input crashed a target, and prints that input. Inputs AFL saved as hangs are run again
# alone: on a busy machine AFL's time limit of a few hundred ms is crossed by chance, so only an
# input that still runs FUZZ_HANG_SECONDS (default 10) or crashes fails the run (a real hang
# once was: age's quadratic header reader). Prints executions, paths found and coverage per target.
#
# The targets are built in the release profile, so their dependencies are the very ones the
# package build compiled (same versions, features and settings: compiled once for both), with
# AFL's instrumentation, debug assertions and overflow checks added to our own crates
# (scripts/afl-rustc.sh). FUZZ_INSTRUMENT_ALL=1 instruments every crate instead (a separate
# build in target/fuzz-all, for long campaigns that should also explore the dependencies).
#
# `fuzz.sh --build` only builds the targets, `fuzz.sh --run` only runs them (`make test` builds
# them after the release build and runs them beside the end-to-end tests); FUZZ_JOBS targets run
# at a time (default 2, one per core; `make test` runs one, so the e2e tests keep a core).
set -euo pipefail
mode=${1:-all}
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-3600}
targets=${FUZZ_TARGETS:-bundle card edtf testimony key_file vault_file snapshot attachment recovery search}
runtime=/usr/lib/afl/afl-compiler-rt.o
command -v afl-fuzz >/dev/null && [ -f "$runtime" ] || {
  echo "fuzz: AFL++ is missing (make setup installs Debian's afl++)" >&2
  exit 1
}

# As cargo-afl instruments (its flags, less the target CPU: the binaries stay portable).
export AFL_RUSTFLAGS="-C debug-assertions -C overflow-checks -C codegen-units=1 \
 -C passes=sancov-module -C llvm-args=-sanitizer-coverage-level=3 \
 -C llvm-args=-sanitizer-coverage-trace-pc-guard -C llvm-args=-sanitizer-coverage-prune-blocks=0 \
 -C llvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -C link-arg=$runtime"
if [ -n "${FUZZ_INSTRUMENT_ALL:-}" ]; then
  bin=$PWD/target/fuzz-all/release
  [ "$mode" = --run ] ||
    RUSTFLAGS="$AFL_RUSTFLAGS" cargo build --release --locked -p amanat-fuzz --bins --target-dir target/fuzz-all
else
  bin=$PWD/target/release
  [ "$mode" = --run ] ||
    RUSTC_WORKSPACE_WRAPPER=$PWD/scripts/afl-rustc.sh cargo build --release --locked -p amanat-fuzz --bins
fi
[ "$mode" != --build ] || exit 0

out=$PWD/target/fuzz
mkdir -p "$out"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1

# One target: fuzz it, then judge what AFL saved. Its verdict goes to $out/<target>.status.
run() {
  local t=$1 status=0
  rm -rf "${out:?}/$t"
  if ! afl-fuzz -i "fuzz/corpus/$t" -o "$out/$t" -V "$seconds" -- "$bin/fuzz_$t" >"$out/$t.log" 2>&1; then
    echo "fuzz: $t did not run (see $out/$t.log)" >&2
    tail -20 "$out/$t.log" >&2
    echo 1 >"$out/$t.status"
    return
  fi
  local stats=$out/$t/default/fuzzer_stats
  get() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" {print $2}' "$stats"; }
  echo "fuzz: $t: $(get run_time) s, $(get execs_done) executions, $(get corpus_count) paths, coverage $(get bitmap_cvg), crashes $(get saved_crashes), hangs $(get saved_hangs)"
  local slowest=0 f start rc ms
  for f in "$out/$t"/default/hangs/id*; do
    [ -e "$f" ] || continue
    start=$(date +%s%N)
    rc=0
    timeout "${FUZZ_HANG_SECONDS:-10}" "$bin/fuzz_$t" <"$f" >/dev/null 2>&1 || rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    if [ "$rc" != 0 ]; then
      echo "fuzz: $t $([ "$rc" = 124 ] && echo "still hangs" || echo "exits with $rc") on $f" >&2
      status=1
    fi
  done
  [ "$(get saved_hangs)" = "0" ] || echo "fuzz: $t: its hangs run alone again in at most $slowest ms"
  if [ "$(get saved_crashes)" != "0" ]; then
    status=1
    for f in "$out/$t"/default/crashes/id*; do
      echo "fuzz: $t crashes on $f:" >&2
      head -c 300 "$f" | od -c | head -8 >&2
    done
  fi
  echo "$status" >"$out/$t.status"
}

# FUZZ_JOBS at a time: AFL++ binds each instance to a free core.
if [ "${FUZZ_JOBS:-2}" = 1 ]; then
  for t in $targets; do run "$t"; done
else
  set -- $targets
  while [ $# -gt 0 ]; do
    run "$1" &
    first=$!
    if [ $# -gt 1 ]; then
      sleep 1
      run "$2"
      shift
    fi
    wait "$first"
    shift
  done
fi
status=0
for t in $targets; do
  [ "$(cat "$out/$t.status" 2>/dev/null || echo 1)" = 0 ] || status=1
done
exit $status
