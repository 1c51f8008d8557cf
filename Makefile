# `make demo` and `make test` are all a new user types: each installs what it needs into .venv
# with uv, exactly as uv.lock pins it (`uv sync --locked`: a lock that disagrees with
# pyproject.toml stops here with uv's own message; `make lock` updates it). uv itself comes from
# the package index when the machine lacks it, so the two commands need only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_HOME := .uv
UV := $(shell command -v uv 2>/dev/null || echo $(UV_HOME)/bin/uv)
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON=$(PYTHON) $(UV) sync --locked --extra dask --compile-bytecode

.PHONY: demo test bench lint docs pictures install lock clean

$(UV_HOME)/bin/uv:
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet uv

# The project (editable), its dependencies, the Dask extra and the dev group, as locked; their
# bytecode compiled once here, so no process compiles them again (machines that set
# PYTHONDONTWRITEBYTECODE never cache it: every `smartcart` start compiled ~1,700 modules, 4 s).
$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(SYNC)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/smartcart demo

# Tests run on every core (pytest-xdist), a test file per worker at a time so module fixtures are
# built once; `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --out BENCHMARKS.md

# The documentation site (MkDocs, Material): --strict turns a broken link or a page missing from
# the navigation into a failed build. Writes site/.
docs: $(STAMP)
	$(SYNC) --group docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The pictures of the answers in the docs (docs/summary.png, customer.png, home-tab.png,
# digest.png), drawn from the Block Kit the bot builds for the demo's model and customers.
pictures: demo
	SMARTCART_DATA=var/demo/customers.csv $(BIN)/python docs/render_answers.py --out docs

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-resolve after a change to pyproject.toml; `make lock UPGRADE=1` moves every pin to the newest
# allowed version.
lock: | $(UV)
	$(UV) lock $(if $(UPGRADE),--upgrade)

clean:
	rm -rf $(VENV) $(UV_HOME) var build dist site *.egg-info
