# `make demo` classifies sample photos; `make test` runs the tests. Both create
# .venv on first use; the stamp makes a second run install nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
EXTRAS ?= tensorflow,jax,torch,test,examples
PYTEST_ARGS ?=

.PHONY: install test demo test-backends benchmarks clean

$(STAMP): pyproject.toml constraints.txt $(wildcard plugins/*/pyproject.toml) examples/third_party_plugin/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]" \
		$(foreach p,$(PLUGINS),-e $(p)) -e examples/third_party_plugin
	touch $@

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=20 $(PYTEST_ARGS)

# Every model on every backend in both data formats, and a fine-tuning step of
# every model across two devices; `make test` runs one model of each family.
test-backends: $(STAMP)
	REGISTRY_ALL_BACKENDS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup --durations=20 \
		tests/plugins/test_backends.py tests/plugins/test_scaleout.py $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info
