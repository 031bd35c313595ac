# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install, run the main job on the embedded snapshot
#   make test  - the same set-up, then the whole test suite
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV := .venv
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export MPLBACKEND := Agg

.PHONY: run test venv bench browser clean snapshot

venv: $(TEST_STAMP)

# the runtime set only (what `make run` needs); a line per stage with its elapsed time
$(STAMP): pyproject.toml scripts/install.sh
	@t0=$$SECONDS; PY=$$(scripts/find-python.sh) || exit 1; \
	 if [ ! -x $(VENV)/bin/python ]; then echo "[setup] creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV); fi; \
	 echo "[setup] installing macroattr and its runtime dependencies into $(VENV) (log: $(VENV)/install.log)"; \
	 scripts/install.sh $(VENV) . $(VENV)/install.log || exit 1; \
	 echo "[setup] installed $$($(VENV)/bin/python -m pip list --format=freeze 2>/dev/null | wc -l) packages in $$((SECONDS - t0)) s"; \
	 echo "[setup] compiling the exact engine's kernels once (Numba cache; every later command loads them)"; \
	 $(VENV)/bin/python -m macroattr.models.estimation.warmup
	@touch $(STAMP)

# the test (and benchmark) extras on top, for `make test` and `make bench`
$(TEST_STAMP): $(STAMP)
	@t0=$$SECONDS; echo "[setup] adding the test extras (pytest, pypdf, numpyro, ...) (log: $(VENV)/install-test.log)"; \
	 scripts/install.sh $(VENV) '.[test,bench]' $(VENV)/install-test.log || exit 1; \
	 echo "[setup] test extras installed in $$((SECONDS - t0)) s"
	@touch $(TEST_STAMP)

run: $(STAMP)
	$(VENV)/bin/macroattr run

browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium: install Debian's 'chromium' package and rerun"; exit 1; }; }

# the suite on every core (pytest-xdist; each test file on one worker, so its fixtures are
# built once): dots per test and % done, the slowest tests at the end
test: $(TEST_STAMP) browser
	$(VENV)/bin/python -m pytest -n auto --dist loadfile --durations=15
	scripts/test-other-python.sh

bench: $(TEST_STAMP)
	$(VENV)/bin/python -m benchmarks.run_all

snapshot: $(STAMP)
	$(VENV)/bin/python -m macroattr.data_pipelines.snapshot_build --raw ../shared/data/raw

clean:
	rm -rf $(VENV) .venv312 .venv313 .cache reports/build
