# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup build run test check crash bench clean

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release --locked

# Until the desktop app lands (issue 3), `make run` builds the CLI and shows its commands.
run: build
	@target/release/amanat --help
	@echo
	@echo "Try: target/release/amanat --vault ./my.amanat init --name 'Your name'"

# Formatting and lints first (cheap), then every test: unit, integration, crash (200 kills).
check: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test: check
	$(CARGO) test --locked

# The long crash campaign: 1,000 kill -9 at random moments.
crash: setup
	AMANAT_CRASH_KILLS=1000 $(CARGO) test --locked --test crash -- --nocapture

bench: setup
	$(CARGO) bench --locked --bench vault

clean:
	$(CARGO) clean
