# One entry point per job. Every target sets up what it needs first, so a fresh clone works.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
SDK_VENV := .venv-sagemaker
export SAM_CLI_TELEMETRY := 0
export __SAM_CLI_APP_DIR := $(CURDIR)/build/sam-app-dir
export AWS_DEFAULT_REGION ?= us-east-1
REGION := us-east-1

.PHONY: help setup setup-tools test test-sdk test-unit test-statemachine test-integration lint format validate \
        build bench demo sam-local base-image image-uris pipeline-definition ci clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements/dev.txt requirements/runtime.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements/dev.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

setup: $(VENV)/.stamp ## make .venv with every dev dependency

$(SAM_VENV)/.stamp: requirements/sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q -r requirements/sam.txt
	touch $@

$(CHECKOV_VENV)/.stamp: requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r requirements/checkov.txt
	touch $@

.venv-actionlint/.stamp: requirements/actionlint.txt
	$(PYTHON) -m venv .venv-actionlint
	.venv-actionlint/bin/pip install -q -r requirements/actionlint.txt
	touch $@

node_modules/.stamp: package.json
	npm install --no-audit --no-fund --silent
	touch $@

setup-tools: $(SAM_VENV)/.stamp $(CHECKOV_VENV)/.stamp node_modules/.stamp ## SAM CLI, checkov, asl-validator (own envs)

# Two pytest processes: the unit tests run on plain moto, as a user's CI would; the local cloud's
# patches of moto are process-wide and would be under them after the first cloud of a worker.
test: setup ## run every test (unit, state machines, local cloud, integration) in one pytest process
	@# One process holds them all: the local cloud undoes its moto patches as it stops
	@# (localcloud/patching.py), so unit tests on plain moto and local-cloud tests share workers.
	rm -rf build/iam
	LOCALCLOUD_IAM_LOG_DIR=build/iam $(PY) -m pytest -n 2 --dist loadfile -m "not docker and not sdk and not samcli" tests/unit tests/dataquality tests/localcloud tests/statemachine tests/integration
	@# The least-privilege report of every local-cloud run above: no call denied that a flow needs,
	@# no grant unused without a written reason (localcloud/iam/report.py).
	$(PY) -m localcloud iam-report build/iam --check > build/iam-report.md && tail -n +3 build/iam-report.md | head -6

test-sdk: setup $(SDK_VENV)/.stamp ## checks that need the sagemaker SDK (image-URI table agrees with it)
	$(PY) -m pytest -m sdk tests/unit/test_image_uris.py

test-unit: setup ## unit tests only
	$(PY) -m pytest -n 2 tests/unit tests/dataquality

test-statemachine: setup ## state machines executed on the local cloud's interpreter
	$(PY) -m pytest tests/statemachine

test-integration: setup ## whole flows on the local cloud
	$(PY) -m pytest -m "not samcli" tests/integration

lint: setup ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/shared/mlops_loop layers/dataquality/dataquality localcloud functions tools benchmarks

format: setup ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

validate: setup setup-tools ## sam validate --lint, cfn-lint, checkov, asl-validator, sam build
	$(SAM_VENV)/bin/sam validate --lint --region $(REGION)
	$(VENV)/bin/cfn-lint template.yaml
	mkdir -p build/checkov-cache
	BC_SKIP_MAPPING=TRUE CKV_CACHE_DIR=$(CURDIR)/build/checkov-cache $(CHECKOV_VENV)/bin/checkov \
	  --framework cloudformation -f template.yaml --quiet --compact --skip-download
# The registry account's side (registry/template.yaml), checked the same way.
	$(SAM_VENV)/bin/sam validate --lint --region $(REGION) -t registry/template.yaml
	$(VENV)/bin/cfn-lint registry/template.yaml
	BC_SKIP_MAPPING=TRUE CKV_CACHE_DIR=$(CURDIR)/build/checkov-cache $(CHECKOV_VENV)/bin/checkov \
	  --framework cloudformation -f registry/template.yaml --quiet --compact --skip-download
# The deployment pipeline: its workflows, and the per-account bootstrap (pipeline/bootstrap.yaml).
	$(MAKE) .venv-actionlint/.stamp
	.venv-actionlint/bin/actionlint .github/workflows/*.yaml
	$(VENV)/bin/cfn-lint pipeline/bootstrap.yaml
	BC_SKIP_MAPPING=TRUE CKV_CACHE_DIR=$(CURDIR)/build/checkov-cache $(CHECKOV_VENV)/bin/checkov \
	  --framework cloudformation -f pipeline/bootstrap.yaml --quiet --compact --skip-download
	for f in statemachines/*.asl.json; do node_modules/.bin/asl-validator --json-path "$$f" || exit 1; done
	$(PY) -m tools.check_error_names
	$(MAKE) build

build: setup-tools ## sam build (python3.11, no Docker)
	$(SAM_VENV)/bin/sam build --parallel --cached

bench: setup ## every benchmark, figures side by side
	$(PY) -m benchmarks

demo: setup ## play the whole loop on the local cloud (no AWS, no Docker)
	$(PY) -m story.demo

.PHONY: demo-multi-account
demo-multi-account: setup ## the seed's layout on the local cloud: registry + prod accounts, IAM across both
	$(PY) -m story.multi_account

sam-local: setup setup-tools ## sam local invoke every function with every event (needs a Docker engine)
	$(PY) -m tools.sam_local

.PHONY: sam-deploy-local
sam-deploy-local: setup build ## the pipeline's deploy + smoke stages here: sam deploy of the build into `serve`
	$(PY) -m pytest -m samcli tests/integration/test_sam_deploy.py

base-image: ## build (or reuse) the Lambda python3.11 base image offline
	tools/build_base_image.sh

$(SDK_VENV)/.stamp: requirements/sagemaker-sdk.txt
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q -r requirements/sagemaker-sdk.txt
	touch $@

image-uris: $(SDK_VENV)/.stamp ## regenerate the image-URI Mappings from the sagemaker SDK
	$(SDK_VENV)/bin/python tools/image_uris.py --write

pipeline-definition: $(SDK_VENV)/.stamp ## regenerate pipelines/retraining-pipeline.json with the sagemaker SDK
	$(SDK_VENV)/bin/python -m pipelines.build_definition --write
	$(PY) -m pipelines.template_body --write

ci: lint validate test test-sdk sam-local sam-deploy-local ## everything CI runs

clean: ## remove build output and venvs
	rm -rf build .aws-sam $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(SDK_VENV) .venv-actionlint .venv-bench-peers .venv-bench-evidently07 node_modules
