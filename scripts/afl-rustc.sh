#!/usr/bin/env bash
# The compiler of our own crates in a fuzz build (RUSTC_WORKSPACE_WRAPPER, set by
# scripts/fuzz.sh): rustc with AFL++'s coverage instrumentation as cargo-afl sets it
# (sanitizer coverage: trace-pc-guard and compares, one codegen unit), debug assertions and
# overflow checks (a fuzzer should trip them), `--cfg fuzzing`, and AFL++'s runtime linked into
# the targets. Dependencies are compiled by plain rustc, as the package build compiled them:
# coverage guides the fuzzer through our parsers; FUZZ_INSTRUMENT_ALL=1 (scripts/fuzz.sh)
# instruments every crate instead.
set -euo pipefail
rustc=$1
shift
exec "$rustc" "$@" ${AFL_RUSTFLAGS:?scripts/fuzz.sh sets AFL_RUSTFLAGS}
