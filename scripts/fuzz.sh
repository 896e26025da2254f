#!/usr/bin/env bash
# Fuzzes every parser of hostile input with AFL++ (cargo-afl, stable Rust): the decrypted
# bundle reader, contact cards, EDTF dates, testimony JSON, key files, log frames, drafts, settings,
# snapshots after decryption, attachment sniffing, recovery keys and search (the entry points
# are in src/fuzzing.rs; `cargo run --example fuzz_seeds` remakes their seeds). Each target runs for
# FUZZ_SECONDS (default 3600: `make fuzz`; `make test` runs a short pass) from the seeds in
# fuzz/corpus/<target>; findings go to target/fuzz/<target>. Fails if any input crashed a
# target, and prints that input. Inputs AFL saved as hangs are run again alone: on a busy
# machine AFL's time limit of a few hundred ms is crossed by chance, so only an input that still
# runs FUZZ_HANG_SECONDS (default 10) or crashes fails the run (a real hang once was: age's
# quadratic header reader). Prints executions, paths found and coverage per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-3600}
targets=${FUZZ_TARGETS:-bundle card edtf testimony key_file vault_file snapshot attachment recovery search}
tools=$PWD/target/tools
export PATH=$tools/bin:$PATH
command -v cargo-afl >/dev/null || cargo install --locked --root "$tools" cargo-afl
# Builds AFL++ once per Rust version; says so (and fails) when it is already built.
cargo afl config --build >/dev/null 2>&1 || true
(cd fuzz && cargo afl build --release --locked)

out=$PWD/target/fuzz
mkdir -p "$out"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
status=0
for t in $targets; do
  rm -rf "${out:?}/$t"
  cargo afl fuzz -i "fuzz/corpus/$t" -o "$out/$t" -V "$seconds" "fuzz/target/release/$t" >"$out/$t.log" 2>&1 || {
    echo "fuzz: $t did not run (see $out/$t.log)" >&2
    tail -20 "$out/$t.log" >&2
    status=1
    continue
  }
  stats=$out/$t/default/fuzzer_stats
  get() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" {print $2}' "$stats"; }
  echo "fuzz: $t: $(get run_time) s, $(get execs_done) executions, $(get corpus_count) paths, coverage $(get bitmap_cvg), crashes $(get saved_crashes), hangs $(get saved_hangs)"
  slowest=0
  for f in "$out/$t"/default/hangs/id*; do
    [ -e "$f" ] || continue
    start=$(date +%s%N)
    rc=0
    timeout "${FUZZ_HANG_SECONDS:-10}" "fuzz/target/release/$t" <"$f" >/dev/null 2>&1 || rc=$?
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
done
exit $status
