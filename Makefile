# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install, run the main job on the embedded snapshot
#   make test  - the same set-up, then the whole test suite
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV := .venv
STAMP := $(VENV)/.installed
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export MPLBACKEND := Agg

.PHONY: run test venv bench browser clean snapshot

venv: $(STAMP)

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python.sh) || exit 1; \
	 if [ ! -x $(VENV)/bin/python ]; then echo "creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV); fi
	@echo "installing macroattr and its dependencies into $(VENV) (log: $(VENV)/install.log)"
	@{ $(VENV)/bin/python -m pip install --upgrade pip && \
	   $(VENV)/bin/python -m pip install -e '.[test,bench]'; } > $(VENV)/install.log 2>&1 \
	 || { tail -n 40 $(VENV)/install.log; echo "pip install failed: see $(VENV)/install.log"; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/macroattr run

browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium: install Debian's 'chromium' package and rerun"; exit 1; }; }

test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.run_all

snapshot: $(STAMP)
	$(VENV)/bin/python -m macroattr.data_pipelines.snapshot_build --raw ../shared/data/raw

clean:
	rm -rf $(VENV) .cache reports/build
