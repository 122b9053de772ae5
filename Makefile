# The README's commands. Every target does its own set-up, so a fresh clone needs nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_DEPS := $(VENV)/.deps-installed
STAMP_EXT := $(VENV)/.ext-built
# The seed library (spectrograms 2.1.3) ships only a cp312 wheel: it lives in its own venv, outside the
# package, and the differential tests call it in a subprocess (skipped, saying why, where it is missing).
SEED_VENV := .venv-seed
SEED_PYTHON ?= $(shell PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null || command -v python3.12)
STAMP_SEED := $(SEED_VENV)/.installed
EXT_SOURCES := $(wildcard spectrograms_ext/*.cpp spectrograms_ext/*.h) setup.py pyproject.toml
FFTW_HEADER := /usr/include/fftw3.h
# espeak-ng speaks the real speech the parity tests run on (tests/conftest.py: the speech fixture).
ESPEAK := /usr/bin/espeak-ng
# cmake builds examples/cpp in the C++ deployment test (tests/test_export_cpp.py, slow: make test-all).
CMAKE := /usr/bin/cmake

.PHONY: setup seed-venv test test-all demo bench clean sanitize

setup: $(STAMP_EXT)

$(FFTW_HEADER):
	@echo "FFTW headers missing: installing Debian's libfftw3-dev"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "error: need root (or sudo) to run: apt-get install -y libfftw3-dev" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libfftw3-dev \
	  || { echo "error: could not install libfftw3-dev; install FFTW 3 (headers and float/double libs) and rerun" >&2; exit 1; }

$(ESPEAK):
	@echo "espeak-ng missing: installing Debian's espeak-ng (real speech for the parity tests)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "note: need root (or sudo) to install espeak-ng; speech tests will be skipped" >&2; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng \
	  || echo "note: could not install espeak-ng; speech tests will be skipped" >&2

$(CMAKE):
	@echo "cmake missing: installing Debian's cmake (builds examples/cpp for the C++ deployment test)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "note: need root (or sudo) to install cmake; the C++ deployment test will be skipped" >&2; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq cmake g++ \
	  || echo "note: could not install cmake; the C++ deployment test will be skipped" >&2

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_DEPS): requirements-dev.txt requirements-nodeps.txt | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps -r requirements-nodeps.txt
	touch $@

$(STAMP_EXT): $(STAMP_DEPS) $(EXT_SOURCES) | $(FFTW_HEADER)
	$(PIP) install -q --no-build-isolation -e .
	touch $@

$(STAMP_SEED):
	@if [ -z "$(SEED_PYTHON)" ]; then echo "note: no Python 3.12 found; the seed-library differential tests will be skipped"; \
	else $(SEED_PYTHON) -m venv $(SEED_VENV) && $(SEED_VENV)/bin/python -m pip install -q spectrograms==2.1.3 \
	  && touch $@ || echo "note: could not install spectrograms==2.1.3; the differential tests will be skipped"; fi

seed-venv: $(STAMP_SEED)

# The suite without the long runs (the wheel build, the Dask worker-kill run, the long fuzz), which
# `make test-all` adds; SPECTROGRAMS_FUZZ_EXAMPLES sets the length of the fuzz run.
test: setup seed-venv | $(ESPEAK)
	$(PY) -m pytest -q -m "not slow and not fuzz" tests

test-all: setup seed-venv | $(ESPEAK) $(CMAKE)
	$(PY) -m pytest -q tests

demo: setup
	$(PY) -m spectrograms.demo

bench: setup
	$(PY) -m spectrograms.bench

# An ASan+UBSan build of the extension, made in a copy of the package under build/sanitize (the
# shared spectrograms/_C*.so is left alone), and SANITIZE_TESTS run against it with the sanitizer
# runtimes preloaded (python itself is not instrumented). Leak checking is off: the interpreter and
# torch keep memory until exit by design. Any sanitizer report fails the run. SPECTROGRAMS_NATIVE keeps
# the debug info (setup.py's portable flags add -g0 and strip it), so reports name source lines.
SANITIZE_DIR := build/sanitize
SANITIZE_TESTS ?= tests/ops tests/test_fft.py tests/test_compute.py tests/test_features.py tests/test_plan_cache.py \
	tests/test_overflow.py tests/test_reliability.py tests/test_nn.py tests/test_seed_binaural.py $(wildcard tests/test_fuzz_*.py)
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
sanitize: $(STAMP_DEPS)
	rm -rf $(SANITIZE_DIR) && mkdir -p $(SANITIZE_DIR)
	tar -cf - --exclude='__pycache__' --exclude='*.so' setup.py pyproject.toml spectrograms spectrograms_ext tests \
	  | tar -xf - -C $(SANITIZE_DIR)
	[ ! -d $(SEED_VENV) ] || ln -s $(abspath $(SEED_VENV)) $(SANITIZE_DIR)/$(SEED_VENV)  # the seed-oracle tests
	cd $(SANITIZE_DIR) && CFLAGS="$(SANITIZE_FLAGS)" LDFLAGS="-fsanitize=address,undefined" SPECTROGRAMS_NATIVE=1 \
	  $(abspath $(PY)) setup.py -q build_ext --inplace
	nm -D $(SANITIZE_DIR)/spectrograms/_C*.so | grep -q __asan_report || { echo "error: no ASan in the build" >&2; exit 1; }
	cd $(SANITIZE_DIR) && LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(abspath $(PY)) -m pytest -q -p no:cacheprovider -m "not slow" $(SANITIZE_TESTS)

clean:
	rm -rf build *.egg-info spectrograms/_C*.so
