# The README's commands. Every target does its own set-up, so a fresh clone needs nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_DEPS := $(VENV)/.deps-installed
STAMP_EXT := $(VENV)/.ext-built
EXT_SOURCES := $(wildcard spectrograms_ext/*.cpp spectrograms_ext/*.h) setup.py pyproject.toml
FFTW_HEADER := /usr/include/fftw3.h

.PHONY: setup test demo bench clean

setup: $(STAMP_EXT)

$(FFTW_HEADER):
	@echo "FFTW headers missing: installing Debian's libfftw3-dev"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "error: need root (or sudo) to run: apt-get install -y libfftw3-dev" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libfftw3-dev \
	  || { echo "error: could not install libfftw3-dev; install FFTW 3 (headers and float/double libs) and rerun" >&2; exit 1; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_DEPS): requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps torchaudio==2.11.0
	touch $@

$(STAMP_EXT): $(STAMP_DEPS) $(EXT_SOURCES) | $(FFTW_HEADER)
	$(PIP) install -q --no-build-isolation -e .
	touch $@

test: setup
	$(PY) -m pytest -q tests

demo: setup
	$(PY) -m spectrograms.demo

bench: setup
	$(PY) -m spectrograms.bench

clean:
	rm -rf build *.egg-info spectrograms/_C*.so
