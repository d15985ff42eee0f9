# Set-up and entry points. Two commands do everything on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run    create .venv, install sslnb, make sure Fashion-MNIST is there, run the pipeline (dvc repro)
#   make test   the same set-up, then the test suite
# In a shell, `source .venv/bin/activate` puts dvc, jupyter and sslnb on the PATH.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# The study (pipeline), every integration and the test tools; `pip install sslnb` alone is the light install.
EXTRAS := pipeline,lightning,hf,tensorboard,mlflow,timm,dev
# Every extra installs about 6.9 GB into .venv (benchmarks/results/install_size.json), most of it torch's
# CUDA libraries; below this much free space pip stops half-way with "No space left on device", so a
# new .venv is refused up front (an existing one is being updated and needs far less).
MIN_FREE_GB ?= 7.5
FASHION_MNIST_DIR := /usr/share/datasets/fashion-mnist
FASHION_MNIST_PKG := dataset-fashion-mnist
# The venv's tools (python, dvc, papermill, jupyter) come first for every recipe and every DVC stage.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

# JupyterLab refuses to start as root without --allow-root (containers often run as root); no browser on
# a server: it prints the URL to open.
LAB_FLAGS := --no-browser $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help setup data run status lab sweeps sweep test test-fast report docs clean

help:
	@echo "make run     set up and run the whole pipeline on the default profile (params.yaml)"
	@echo "make test    set up and run the tests (a tiny profile of the same pipeline)"
	@echo "make test-fast  only the unit tests (no DVC pipeline, no torchrun), under 2 minutes"
	@echo "make data    install Debian's $(FASHION_MNIST_PKG) if possible"
	@echo "make status  is the default run up to date? (dvc status dvc.yaml; the sweeps are not asked)"
	@echo "make lab     JupyterLab on notebooks/ (jupyter lab $(LAB_FLAGS))"
	@echo "make sweeps  every sweep of params.yaml (seeds, hyper, failures, long, architectures), two points at a time, the leaderboard, the report"
	@echo "make sweep NAME=seeds  one sweep (its runs and data/sweeps/NAME.csv)"
	@echo "make report  build reports/index.html (runs whatever it needs that is out of date)"
	@echo "make docs    build the documentation site into site/ (mkdocs build --strict)"
	@echo "make clean   remove the virtual environment"

# Reinstall whenever the dependency list changes. torch/torchvision are not pinned: pip picks the
# registry's current matching pair (about 5 GB with its CUDA libraries, which run fine on a CPU).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sslnb needs Python >= 3.11, found " + sys.version' 
	@$(PYTHON) -c 'import os, shutil, sys; free = shutil.disk_usage(".").free / 1e9; need = float(sys.argv[1]); \
	  ok = os.path.isdir("$(VENV)") or free >= need; \
	  ok or print(f"make setup: only {free:.1f} GB free on the disk of $(CURDIR); installing into $(VENV) needs about {need:g} GB. Free some space, or set MIN_FREE_GB=0 to try anyway.", file=sys.stderr); \
	  sys.exit(0 if ok else 2)' $(MIN_FREE_GB)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST from Debian's package when apt-get is there and we may use it; otherwise say how.
data:
	@if ls $(FASHION_MNIST_DIR)/train-images-idx3-ubyte* >/dev/null 2>&1; then \
	  echo "Fashion-MNIST: found in $(FASHION_MNIST_DIR)"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && apt-get install -y -qq $(FASHION_MNIST_PKG)) \
	    || echo "Could not install $(FASHION_MNIST_PKG); sslnb will try data.path and torchvision's download."; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq $(FASHION_MNIST_PKG)) \
	    || echo "Could not install $(FASHION_MNIST_PKG); sslnb will try data.path and torchvision's download."; \
	else \
	  echo "Fashion-MNIST is not installed. Install it with:  sudo apt-get install $(FASHION_MNIST_PKG)"; \
	  echo "(or set data.path in params.yaml; otherwise sslnb tries torchvision's download)"; \
	fi

run: setup data
	dvc repro
	@echo
	@echo "Figures:        $(CURDIR)/figures/"
	@echo "Tables:         $(CURDIR)/reports/tables/"
	@echo "Report (HTML):  $(CURDIR)/reports/index.html"
	@echo "Up to date?     make status"
	@echo "JupyterLab:     make lab"
	@echo "Metrics, plots: $(VENV)/bin/dvc metrics show; $(VENV)/bin/dvc plots show"
	@echo "                (or first: source $(VENV)/bin/activate, which puts dvc, jupyter and sslnb on the PATH)"

# Sweeps are their own DVC pipelines (sweeps/NAME/dvc.yaml, generated from params.yaml by `sslnb
# sweep-plan`; sweeps/dvc.yaml analyses them) so `make run` stays within its time budget. No stage of
# dvc.yaml depends on them (that would pull them into `dvc repro`), so the report is rebuilt by force.
# sweep-points runs the out-of-date points SWEEP_JOBS at a time (each on one thread) and records them in the
# locks; dvc repro then only collects and analyses (it runs one stage at a time).
SWEEP_JOBS ?= 2
sweeps: setup data
	$(BIN)/python -m sslnb sweep-plan
	$(BIN)/python -m sslnb sweep-points --jobs $(SWEEP_JOBS)
	dvc repro sweeps/dvc.yaml
	dvc repro report
	dvc repro --force --single-item report
	@echo
	@echo "Leaderboard:    $(CURDIR)/reports/tables/leaderboard.md"
	@echo "Sweep pages:    $(CURDIR)/reports/sweeps/html/"
	@echo "Report (HTML):  $(CURDIR)/reports/index.html"

sweep: setup data
	@test -n "$(NAME)" || { echo "usage: make sweep NAME=<a key of sweeps in params.yaml>, e.g. make sweep NAME=seeds" >&2; exit 2; }
	$(BIN)/python -m sslnb sweep-plan
	dvc repro sweeps/$(NAME)/dvc.yaml

# Two workers: the tests that share the tiny pipeline run in one (tests/conftest.py groups them), the rest
# in the other, so the 2 cores work side by side.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The unit tests alone: everything but the end-to-end runs marked `pipeline` (DVC, torchrun, notebooks).
test-fast: setup
	$(BIN)/python -m pytest -m "not pipeline"

report: setup
	dvc repro report

# The default pipeline only: plain `dvc status` also lists every stage of the sweeps' pipelines (sweeps/),
# which make run does not run, and buries the answer.
status: setup
	@out="$$($(BIN)/dvc status dvc.yaml)" || { echo "$$out"; exit 1; }; \
	if [ -z "$$out" ] || echo "$$out" | grep -qx "Data and pipelines are up to date."; then \
	  echo "up to date: every stage of dvc.yaml (the default run) matches its code, params and data"; \
	else \
	  echo "$$out"; echo; \
	  echo "not up to date: $$(echo "$$out" | grep -c '^[^[:space:]].*:$$') stage(s) of dvc.yaml above; make run reruns them"; \
	fi

lab: setup
	$(BIN)/jupyter lab notebooks/ $(LAB_FLAGS)

docs: setup
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV)
