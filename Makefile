# Two commands on a fresh machine (see README.md):
#   make book   execute every chapter (through Jupyter Book's cache) and build the HTML
#   make test   run the unit tests, re-execute every chapter under nbval, build the HTML
# Both create .venv from requirements.txt first if it is missing or out of date.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The genuine datasets (chapter 8, the loader tests): NIDSLIB_DATA when set, else the shared
# folder beside the repository when it exists (CI, the team's machines), else data/.
SHARED_DATA := $(wildcard ../shared/datasets)
ifneq ($(SHARED_DATA),)
export NIDSLIB_DATA ?= $(abspath $(SHARED_DATA))
endif
# The execution cache cannot see changes to nidslib, to the pinned packages or to the data
# settings: key it on them.
LIB_HASH := $(shell (cat nidslib/*.py requirements.txt; echo '$(NIDSLIB_DATA) $(NIDSLIB_DATASET)') \
	| sha256sum | cut -c1-16)

.PHONY: book test unit notebooks html clean

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

book: $(VENV)/.installed
	@mkdir -p _build
	@if [ "$$(cat _build/.lib-hash 2>/dev/null)" != "$(LIB_HASH)" ]; then \
		echo "nidslib or requirements changed: emptying the execution cache"; \
		rm -rf _build/.jupyter_cache; fi
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo $(LIB_HASH) > _build/.lib-hash

test: unit notebooks html

unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests

notebooks: $(VENV)/.installed
	$(BIN)/python -m pytest --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg chapters

# The HTML from the outputs stored in the notebooks (no execution), warnings as errors.
html: $(VENV)/.installed
	@mkdir -p _build
	sed 's/execute_notebooks: cache/execute_notebooks: "off"/' _config.yml > _build/_config_stored.yml
	$(BIN)/jupyter-book build . --config _build/_config_stored.yml --warningiserror --keep-going

clean:
	rm -rf _build
