# Two commands: `make demo` and `make test`. Both create .venv themselves, with the tested versions of
# requirements.lock (pyproject.toml keeps the ranges library users install). `make lock` refreshes the lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) 2>/dev/null | cksum | cut -d' ' -f1)
# Test order is the collection order; check order-independence with `make test-random`.
PYTEST := $(BIN)/python -m pytest -p no:randomly
# ruff and mypy run before the tests; `make test LINT=` skips them while iterating (never in CI).
LINT   ?= lint

.PHONY: demo test test-fast test-random lint bench lock lock-check clean venv

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet -e '.[all]' -c $(LOCK)
	$(BIN)/python -m pip check
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/intentseg demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# --durations: the 25 slowest tests at the end of every run (the suite must stay under 15 minutes)
test: $(STAMP) $(LINT)
	$(PYTEST) -n 2 --dist loadgroup --durations=25 $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PYTEST) -n 2 -m "not slow and not spark and not browser" $(PYTEST_ARGS)

# The same suite in a shuffled order: a new seed each run, printed in the header; repeat an order with
# PYTEST_ARGS=--random-order-seed=N.
test-random: $(STAMP)
	$(PYTEST) -n 2 --dist loadgroup --random-order-bucket=global $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# Resolve pyproject.toml's ranges (every extra) in a fresh venv and pin the result. Run it after changing a
# dependency, then `make test`, and commit requirements.lock with the change.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[all]'
	{ echo "# Tested versions that \`make demo\` and \`make test\` install (Python 3.11, Linux x86-64), from PyPI."; \
	  echo "# Library users get the ranges in pyproject.toml. Refresh after a dependency change: \`make lock\`."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf .lock-venv

# Does the lock install on a fresh machine from PyPI alone (no local mirror, no pip cache), and does it
# cover every dependency of intentseg[all]?
lock-check:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null sh -c '\
	  .lock-venv/bin/python -m pip install --quiet --no-cache-dir -r $(LOCK) "setuptools>=77" wheel && \
	  .lock-venv/bin/python -m pip install --no-cache-dir --no-index -e ".[all]" -c $(LOCK) --no-build-isolation' \
	  || { rm -rf .lock-venv; exit 1; }
	.lock-venv/bin/python -m pip check
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .lock-venv demo-output
