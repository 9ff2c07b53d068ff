# The two commands: `make run` starts the portal with everything it needs,
# `make test` runs the whole suite (SQLite, then PostgreSQL when it answers).
# Both create .venv from Python 3.11 when it is missing.

ARGS ?=

.PHONY: run test

run:
	@bash scripts/run

test:
	@bash scripts/test $(ARGS)
