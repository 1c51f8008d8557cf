# `make demo` and `make test` are all a new user types: each installs what it needs into .venv,
# at the versions pinned (with hashes) in requirements-dev.lock. `make lock` re-pins them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCK_TOOLS := $(VENV)/lock-tools
PIP_TOOLS := pip-tools==7.6.2
COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

.PHONY: demo test bench lint install lock clean

# The locked versions first (hash-checked), then the project itself, editable, constrained by the
# lock: a dependency that pyproject.toml lists and the lock lacks is still installed (with a
# warning to run `make lock`); one the lock pins outside pyproject's range stops here with a
# message naming it.
$(STAMP): pyproject.toml $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python tools/check_lock.py $(DEV_LOCK) --extra dev --extra dask --constraints $(VENV)/constraints.txt
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]' -c $(VENV)/constraints.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/smartcart demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --out BENCHMARKS.md

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Pin every dependency with hashes: the runtime lock (the container installs it) and the
# development lock (make, CI) that agrees with it. Pins already in the locks are kept and new
# dependencies added; `make lock UPGRADE=1` moves everything to the newest allowed versions.
lock:
	test -x $(LOCK_TOOLS)/bin/python || $(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet '$(PIP_TOOLS)'
	$(COMPILE) -o $(LOCK) pyproject.toml
	$(COMPILE) --extra dev --extra dask -c $(LOCK) -o $(DEV_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) var build dist *.egg-info
