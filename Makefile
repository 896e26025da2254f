# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
CARGO ?= cargo
NPM ?= npm
# rage: the reference age tool, for tests and benchmarks only; the app never uses it.
RAGE := $(CURDIR)/target/tools/bin/rage
# The dev build every check and test uses: clippy compiles our own crates, warnings are errors
# (scripts/dev-build.sh says why).
DEV := scripts/dev-build.sh
# The seed of the convergence property test's cases in `make test` (scripts/test.sh reads it
# here); `make converge-long` draws new cases each run.
CONVERGE_SEED := 20261202

.PHONY: setup ui build build-app release run test check test-rust test-ui e2e fuzz fuzz-short crash consent-long converge-long bench bench-app package package-only package-test rage tools-check clean

setup:
	@scripts/setup.sh

# The web UI, built into ui/dist and embedded in the app binary.
ui: setup
	$(NPM) --prefix ui run build --silent

# The app and the command line, release build, in one cargo run (the package uses both).
release: ui
	$(CARGO) build --release --locked --bins

# The CLI, release build.
build: release

# Every dev target: the app and the CLI the end-to-end tests drive, the test binaries, lints.
build-app: ui
	$(DEV)

# Builds the UI and the app (release) and opens it.
run: release
	target/release/amanat-desktop

# Every program the scripts and tests call is installed by scripts/setup.sh.
tools-check: setup
	node scripts/check-tools.mjs

# Formatting, lints and type checks first (cheap), then every test. The app crate embeds
# ui/dist at compile time, so even the lints need the UI built.
check: ui tools-check
	$(CARGO) fmt --all -- --check
	$(DEV)
	$(NPM) --prefix ui run check --silent
	scripts/no-network-deps.sh

rage: setup
	test -x $(RAGE) || $(CARGO) install --locked --root target/tools rage

# rage stands in for someone outside Amanat: a bundle must open with it (tests/bundle_outside.rs).
test-rust: ui rage
	RAGE=$(RAGE) $(DEV) test
	PROPTEST_RNG_SEED=$(CONVERGE_SEED) $(DEV) test --test convergence_property -- --include-ignored

test-ui: setup
	$(NPM) --prefix ui test --silent

# The real app under Xvfb, driven through WebDriver; screenshots in target/e2e/. The search
# test fills its vault with the command line (debug build, cheap test KDF).
e2e: build-app
	scripts/e2e.sh
	E2E_SYSTEM_FONTS=1 scripts/e2e.sh ui/e2e/attachments.e2e.mjs ui/e2e/bundles.e2e.mjs ui/e2e/trust.e2e.mjs ui/e2e/merging.e2e.mjs

# Everything above and the fuzz pass and the package test, each step timed (the table is
# printed at the end): scripts/test.sh. CI runs exactly this.
test:
	@scripts/test.sh

# Every parser of hostile input under AFL++, an hour per target (FUZZ_SECONDS to change),
# with every crate instrumented (the short pass instruments our own crates only).
fuzz: setup
	FUZZ_INSTRUMENT_ALL=1 scripts/fuzz.sh

# The same, 20 s per target: part of `make test`.
fuzz-short: setup
	FUZZ_SECONDS=20 scripts/fuzz.sh

# The long crash campaign: 1,000 kill -9 at random moments on each of: commits and snapshots;
# attachment imports and deletes; exports, imports, passphrase changes and drafts; erasures
# and the import of an erasure.
crash: setup
	AMANAT_CRASH_KILLS=1000 $(CARGO) test --locked --test crash --test crash_attachments --test crash_transfers --test crash_erasure -- --nocapture

# The consent property test with 20,000 cases (make test runs 1,200); a failing case prints
# its operations and proptest's seed.
consent-long: setup rage
	AMANAT_CONSENT_CASES=20000 RAGE=$(RAGE) $(CARGO) test --locked --release --test consent_property -- --nocapture

# Three vaults doing random work and exchanging bundles in random orders must agree
# (docs/merge-model.md): 10,000 cases (`make test` runs 2,000).
converge-long: setup
	AMANAT_CONVERGE_CASES=10000 $(CARGO) test --locked --release --test convergence_property -- --include-ignored --nocapture


bench: rage
	$(CARGO) bench --locked --bench vault
	RAGE=$(RAGE) $(CARGO) bench --locked --bench attachments
	RAGE=$(RAGE) $(CARGO) bench --locked --bench bundles
	$(CARGO) bench --locked --bench search
	$(CARGO) bench --locked --bench bundle_memory
	$(CARGO) bench --locked --bench erasure

# The .deb (Tauri's bundler): the app, the `amanat` command line and the guides, in
# target/package/. `make package-test` installs it into a fresh Debian 12 chroot and starts it.
package: release
	$(MAKE) --no-print-directory package-only

# Bundles what `make release` built (Tauri's bundler, no second compile).
package-only:
	cd src-tauri && ../ui/node_modules/.bin/tauri bundle --ci --bundles deb
	rm -rf target/package && mkdir -p target/package
	cp target/release/bundle/deb/Amanat_*_amd64.deb \
	  target/package/$$(cd target/release/bundle/deb && ls Amanat_*_amd64.deb | sed 's/^Amanat/amanat/')
	ls -l target/package

package-test: package
	scripts/package-test.sh

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules

# The desktop app at 10k testimonies: cold start to the unlock screen, unlock, RSS.
bench-app: build-app
	rm -rf target/bench-app && mkdir -p target/bench-app
	$(CARGO) bench --locked --bench vault -- --make-vault $(CURDIR)/target/bench-app/vault --size 10000
	E2E_BENCH_VAULT=$(CURDIR)/target/bench-app/vault scripts/e2e.sh ui/e2e/bench.e2e.mjs
