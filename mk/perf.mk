# Proof under load, faults and bad input, and the numbers (workflow_tools.load, workflow_tools.bench,
# tests/fuzz, tests/load). `make test` runs the small fuzz and load tiers; `make load`
# and `make fuzz` run the full ones, `make bench` prints the figures table.
FUZZ_EXAMPLES      ?= 12000
TEST_FUZZ_EXAMPLES ?= 300
LOAD_ARGS          ?=
BENCH_ARGS         ?=

TEST_TIERS += test-fuzz test-load

.PHONY: fuzz test-fuzz load test-load bench

fuzz: deps ## Fuzz the API handlers with FUZZ_EXAMPLES cases (default 12000): no 5xx, no write on a 4xx
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -q -p no:cacheprovider

test-fuzz: deps ## Fuzz tier inside make test (TEST_FUZZ_EXAMPLES cases, default 300)
	FUZZ_EXAMPLES=$(TEST_FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -q -p no:cacheprovider

load: deps build fuzz ## Fuzz (12,000 cases), then 1,000 webhooks with duplicates, throttling, late retries and signed replays, racing decisions, failing APIs
	$(PY) -m workflow_tools.load $(LOAD_ARGS)

test-load: deps build build-host ## Small load run inside make test (100 webhooks with late retries and signed replays + a 40-webhook throttling burst, 10 races, 10 failing-API requests)
	$(PY) -m pytest tests/load -q -p no:cacheprovider

bench: deps build ## One table: import times, package size, warm latency, throughput, cost per 1,000 requests
	$(PY) -m workflow_tools.bench $(BENCH_ARGS)
