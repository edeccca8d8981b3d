# WebhookRelay — `make run` starts the relay on its embedded default, `make test` runs every test.
SWIFT ?= swift
BIN := .build/debug/webhook-relay

# Development tokens for `make run` only: the relay refuses admin and submit calls without tokens,
# so the local default sets these. Never use them anywhere but your own machine.
DEV_ADMIN_TOKEN ?= dev-admin-token-local
DEV_SUBMIT_TOKEN ?= dev-submit-token-local
DEV_CALLBACK_TOKEN ?= dev-callback-token-local

.PHONY: build run test test-suites chaos demo bench packages clean console-screenshot

packages:
	@scripts/ensure-packages.sh

build: packages
	$(SWIFT) build

run: build
	@mkdir -p -m 0700 data
	@echo "Local development tokens (for local use only):"
	@echo "  admin:    $(DEV_ADMIN_TOKEN)"
	@echo "  submit:   $(DEV_SUBMIT_TOKEN)"
	@echo "  callback: $(DEV_CALLBACK_TOKEN)"
	RELAY_ADMIN_TOKEN=$(DEV_ADMIN_TOKEN) RELAY_SUBMIT_TOKEN=$(DEV_SUBMIT_TOKEN) \
	RELAY_CALLBACK_TOKEN=$(DEV_CALLBACK_TOKEN) $(BIN) serve --config Config/relay.yaml

# One build of the code and the tests, then: the test suite; the isolation measurement on its own (it
# times latencies, so it must not share the two cores with the rest); the API fuzzing of the built
# binary against openapi.yaml. Time limits turn a hang into a failure instead of a stalled CI run.
test: packages
	python3 scripts/check-openapi.py openapi.yaml
	python3 scripts/check-deploy.py
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh $(MAKE) --no-print-directory test-suites

# The suites themselves, with RELAY_TEST_POSTGRES_URL set (`make test` starts the server first):
# every store and end-to-end test runs on SQLite and on PostgreSQL.
# The crash suite, the hardening process tests and the isolation measurement run on their own: the first two
# kill and restart relay processes under load (and measure how fast work resumes), the last times latencies;
# beside the rest they would make each other's timing-bound tests flaky. The main run keeps at most 8 tests
# going at once: on two cores, the ~180 tests all at once starved each other's relays (claims 8 s late,
# PostgreSQL pools waiting 5 s), and 8 at a time finishes as fast.
test-suites:
	timeout 900 $(SWIFT) test --skip-build --skip IsolationTests --skip CrashTests --skip HardeningProcessTests \
	  --experimental-maximum-parallelization-width 8
	timeout 300 $(SWIFT) test --skip-build --filter CrashTests
	timeout 300 $(SWIFT) test --skip-build --filter HardeningProcessTests
	timeout 300 $(SWIFT) test --skip-build --filter IsolationTests
	timeout 600 scripts/fuzz-api.sh $(BIN)
	timeout 300 python3 scripts/console-browser-test.py $(BIN)
	timeout 300 .build/debug/relay-bench --smoke --relay $(BIN) --json .build/bench-smoke.json

# The relay, a sample adapter and a sample control plane on loopback: two requests' lives, printed.
demo: build
	@scripts/demo.sh

# The crash suite at full length: the relay SIGKILLed 20 times under load, on SQLite and on PostgreSQL
# (`make test` runs it with 5 kills).
chaos: packages
	$(SWIFT) build --build-tests
	RELAY_CHAOS_KILLS=20 scripts/with-postgres.sh $(SWIFT) test --skip-build --filter CrashTests

# The benchmark (BENCHMARKS.md): a release build, then every scenario against it, SQLite and a
# throwaway PostgreSQL with fsync on. Prints the table and writes .build/bench.json.
bench: packages
	$(SWIFT) build -c release
	PG_DURABLE=1 scripts/with-postgres.sh .build/release/relay-bench --relay .build/release/webhook-relay --json .build/bench.json

# The README's console picture, from the browser test's screenshots (run `make test` first).
console-screenshot:
	cp .build/console-screenshots/4-dead-letters.png docs/console-dead-letters.png

clean:
	rm -rf .build data
