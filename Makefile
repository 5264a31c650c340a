# Two commands on a fresh machine (see README.md):
#   make book   execute every chapter (through Jupyter Book's cache) and build the HTML
#   make test   run the unit tests, re-execute every chapter under nbval (twice: as this
#               machine runs it, then as another machine with another seed), run chapters
#               1-7 on a week of genuine CICIDS2017 rows, install the package in a fresh
#               environment as Colab does and run chapters 1 and 3 there, build the HTML
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
LIB_HASH := $(shell (find nidslib -name '*.py' | sort | xargs cat; cat requirements.txt; \
	echo '$(NIDSLIB_DATA) $(NIDSLIB_DATASET)') \
	| sha256sum | cut -c1-16)

# Another machine, emulated on this one (BOOK.md §7; tests/test_reproducibility.py checks
# that each variable takes effect): OpenBLAS's Sandy Bridge kernels and oneDNN capped at AVX
# (no FMA: other rounding than the AVX2/AVX-512 kernels a current CPU picks), one BLAS
# thread, and training seed 1. TF_ENABLE_ONEDNN_OPTS=0 is not among them: with
# tensorflow-cpu 2.21 it changes no kernel (oneDNN's gemm runs either way).
OTHER_MACHINE := OPENBLAS_CORETYPE=Sandybridge ONEDNN_MAX_CPU_ISA=AVX OMP_NUM_THREADS=1 NIDSLIB_SEED=1
NBVAL := --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: book test unit notebooks notebooks-other-machine genuine-week fresh-install html clean

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

test: unit notebooks notebooks-other-machine genuine-week fresh-install html

unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests nidslib --doctest-modules

notebooks: $(VENV)/.installed
	$(BIN)/python -m pytest $(NBVAL) chapters

# Every checked output and every claim must hold here too. Its own cache folder, so that the
# files this run writes (results tables of seed 1) never reach the book's.
notebooks-other-machine: $(VENV)/.installed
	env $(OTHER_MACHINE) NIDSLIB_CACHE=$(abspath _build/other-machine-cache) \
		$(BIN)/python -m pytest $(NBVAL) chapters

# Chapters 1-7 on a week of genuine CICIDS2017 rows (tests/genuine_week.py): each must run
# to its end; the claims that do not hold there are printed, not raised (report mode).
genuine-week: $(VENV)/.installed
	$(BIN)/python tests/genuine_week.py _build/genuine-week --execute $(wildcard chapters/0[1-7]_*.ipynb)

# The Colab route: a fresh virtual environment without requirements.txt's extra tools gets
# nidslib[book] from this folder, as the chapters' bootstrap cell gets it from the repository
# (requirements.txt only as pip constraints, so that the versions stay CI's), then executes
# chapters 1 and 3 outside the repository: they see only what the package declares and ships,
# and write to its default folders (the user's cache, not site-packages).
FRESH := _build/fresh-install
fresh-install:
	rm -rf $(FRESH) && mkdir -p $(FRESH)/chapters
	$(PYTHON) -m venv $(FRESH)/venv
	$(FRESH)/venv/bin/python -m pip install --quiet --upgrade pip
	$(FRESH)/venv/bin/python -m pip install --quiet --constraint requirements.txt ".[book]"
	cp chapters/01_*.ipynb chapters/03_*.ipynb $(FRESH)/chapters/
	cd $(FRESH)/chapters && env -u NIDSLIB_CACHE ../venv/bin/jupyter-execute --inplace \
		--timeout=900 *.ipynb
	@echo "fresh install: chapters 1 and 3 ran to their end"

# The HTML from the outputs stored in the notebooks (no execution), warnings as errors.
html: $(VENV)/.installed
	@mkdir -p _build
	sed 's/execute_notebooks: cache/execute_notebooks: "off"/' _config.yml > _build/_config_stored.yml
	$(BIN)/jupyter-book build . --config _build/_config_stored.yml --warningiserror --keep-going

clean:
	rm -rf _build
