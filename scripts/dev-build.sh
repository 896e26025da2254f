#!/usr/bin/env bash
# The one dev build that `make test` (and `make check`, `make e2e`) use. Clippy's driver is the
# compiler of our own crates (RUSTC_WORKSPACE_WRAPPER; dependencies get plain rustc), so its
# lints fail the build exactly as `cargo clippy --all-targets -- -D warnings` would, while
# cargo builds every target once: the test binaries, the app and the command line the
# end-to-end tests drive, the benchmarks and examples. (A separate `cargo clippy` would
# compile the whole dependency tree a second time, only to check it.)
#   scripts/dev-build.sh             build every target of the core, the CLI and the app
#                                    (the workspace's default members; the fuzz targets
#                                    are built by scripts/fuzz.sh)
#   scripts/dev-build.sh test [ARGS] run the Rust tests (nothing left to compile)
set -euo pipefail
cd "$(dirname "$0")/.."
driver=$(command -v clippy-driver || true)
if [ -z "$driver" ]; then
  echo "dev-build: clippy is missing; install it with 'rustup component add clippy'" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER=$driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
case "${1:-build}" in
  build) exec cargo build --locked --all-targets ;;
  test)
    shift
    # rage stands in for someone outside Amanat: a bundle must open with it
    # (tests/bundle_outside.rs); make installs it into target/tools.
    export RAGE=${RAGE:-$PWD/target/tools/bin/rage}
    exec cargo test --locked "$@"
    ;;
  *) echo "usage: scripts/dev-build.sh [build|test [cargo test args]]" >&2; exit 2 ;;
esac
