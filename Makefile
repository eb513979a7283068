# Two commands for a fresh machine with Python 3.11: `make chat` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test worker processes: most slow tests wait on bot subprocesses, so two workers nearly halve
# the time on two cores (each worker has its own PostgreSQL and Redis database, tests/services.py).
TEST_WORKERS ?= 2

.PHONY: chat test install lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null || { echo "Cần Python 3.11 / Python 3.11 is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/ketnoi db upgrade
	$(BIN)/ketnoi seed
	$(BIN)/python -m nlu train --if-needed
	$(BIN)/ketnoi chat

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot nlu handlers storage

bench: $(STAMP)
	for b in benchmarks/*_bench.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
