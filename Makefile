# The single entry point (also used by CI). See README.md.
SHELL := bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup dist run test bench screenshots clean

## Install the toolchain, browsers and npm tools (idempotent, quiet when done).
setup:
	@scripts/setup

## Release build of both browsers: dist/chrome, dist/firefox and their store zips.
dist: setup
	cargo xtask dist

## Build, start the demo CRM, launch Chromium with the extension (SITE=, CONFIG=, WIDGET=sim).
run: dist
	SITE="$(SITE)" CONFIG="$(CONFIG)" WIDGET="$(WIDGET)" node scripts/run.mjs

## Every test tier; ends with "N passed, N failed".
test: setup
	@scripts/test

## Benchmarks: a table, and target/bench/results.json.
bench: dist
	cargo bench --bench core
	node tests/bench/run.mjs

## Pictures of the popup, the options page and each widget placement into docs/screenshots/.
screenshots: dist
	node scripts/screenshots.mjs

clean:
	rm -rf target dist
