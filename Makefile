# The two commands: `make run` starts the portal with everything it needs,
# `make test` runs the whole suite (SQLite, then PostgreSQL when it answers).
# Both create .venv from Python 3.11 when it is missing.
# `make soak` is the long proof: the fault tests over 1,000 orders (FAULTS_ORDERS) and the
# fuzz tests with 50 times the examples, on both databases.

ARGS ?=
FAULTS_ORDERS ?= 1000

.PHONY: run test soak

run:
	@bash scripts/run

test:
	@bash scripts/test $(ARGS)

soak:
	@FAULTS_ORDERS=$(FAULTS_ORDERS) HYPOTHESIS_PROFILE=soak bash scripts/test tests/faults $(wildcard tests/test_fuzz_*.py) $(ARGS)
