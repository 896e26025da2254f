# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
CARGO ?= cargo
NPM ?= npm
# rage: the reference age tool, for tests and benchmarks only; the app never uses it.
RAGE := $(CURDIR)/target/tools/bin/rage

.PHONY: setup ui build build-app run test check test-rust test-ui e2e fuzz fuzz-short crash bench bench-app package package-test clean

setup:
	@scripts/setup.sh

# The web UI, built into ui/dist and embedded in the app binary.
ui: setup
	$(NPM) --prefix ui run build --silent

# The CLI, release build.
build: setup
	$(CARGO) build --release --locked -p amanat

# The desktop app, debug build (what the end-to-end tests drive).
build-app: ui
	$(CARGO) build --locked -p amanat-desktop

# Builds the UI and the app (release) and opens it.
run: ui
	$(CARGO) build --release --locked -p amanat-desktop
	target/release/amanat-desktop

# Formatting, lints and type checks first (cheap), then every test. The app crate embeds
# ui/dist at compile time, so even clippy needs the UI built.
check: ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(NPM) --prefix ui run check --silent
	scripts/no-network-deps.sh

# rage stands in for someone outside Amanat: a bundle must open with it (tests/bundle_outside.rs).
test-rust: ui
	test -x $(RAGE) || $(CARGO) install --locked --root target/tools rage
	RAGE=$(RAGE) $(CARGO) test --locked --workspace

test-ui: setup
	$(NPM) --prefix ui test --silent

# The real app under Xvfb, driven through WebDriver; screenshots in target/e2e/. The search
# test fills its vault with the command line (debug build, cheap test KDF).
e2e: build-app
	$(CARGO) build --locked -p amanat --bin amanat
	scripts/e2e.sh
	E2E_SYSTEM_FONTS=1 scripts/e2e.sh ui/e2e/attachments.e2e.mjs ui/e2e/bundles.e2e.mjs

test: check test-rust test-ui e2e fuzz-short package-test

# Every parser of hostile input under AFL++, an hour per target (FUZZ_SECONDS to change).
fuzz: setup
	scripts/fuzz.sh

# The same, 20 s per target: part of `make test`.
fuzz-short: setup
	FUZZ_SECONDS=20 scripts/fuzz.sh

# The long crash campaign: 1,000 kill -9 at random moments on each of: commits and snapshots;
# attachment imports and deletes; exports, imports, passphrase changes and drafts.
crash: setup
	AMANAT_CRASH_KILLS=1000 $(CARGO) test --locked --test crash --test crash_attachments --test crash_transfers -- --nocapture


bench: setup
	$(CARGO) bench --locked --bench vault
	test -x $(RAGE) || $(CARGO) install --locked --root target/tools rage
	RAGE=$(RAGE) $(CARGO) bench --locked --bench attachments
	RAGE=$(RAGE) $(CARGO) bench --locked --bench bundles
	$(CARGO) bench --locked --bench search

# The .deb (Tauri's bundler): the app, the `amanat` command line and the guides, in
# target/package/. `make package-test` installs it into a fresh Debian 12 chroot and starts it.
package: ui build
	cd src-tauri && ../ui/node_modules/.bin/tauri build --ci
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
