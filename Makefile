# Dinghuo: `make demo` installs, migrates, loads the demo and serves it; `make test` runs every test.
# Needs only Python 3.11+ (as $(PYTHON)), git and make: Node.js for the front-end packages comes from PyPI.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo install serve test lint check clean

demo: install
	$(BIN)/dinghuo setup
	$(BIN)/dinghuo demo
	$(BIN)/dinghuo serve --host $(HOST) --port $(PORT)

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

serve: install
	$(BIN)/dinghuo setup
	$(BIN)/dinghuo serve --host $(HOST) --port $(PORT)

# DATABASE_URL=postgres://… make test   runs the same suite on PostgreSQL (concurrency tests included).
test: install
	$(BIN)/dinghuo compilemessages --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/dinghuo makemigrations --check --dry-run

clean:
	rm -rf $(VENV) node_modules var
