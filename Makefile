# One Window — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/.local/bin

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
RUN := $(UV) run --no-sync
SOURCES := contracts/src libs/src cli/src deploy/local/src $(wildcard services/*/src) bench chaos fuzz deploy/k8s/tools
# Processes per service under `make run` (the gateways share the public port, 8080).
REPLICAS ?= 1

.PHONY: help deps browser web run stop status test lint typecheck schemas asyncapi demo bench chaos fuzz clean-state manifests manifests-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# `deps` compiles the installed packages to bytecode once (--compile-bytecode): a service
# process then starts on ~1 s of CPU instead of ~2.4 s of compiling them again, which every
# restart paid, since this machine sets PYTHONDONTWRITEBYTECODE=1 and nothing was kept.
deps: ## install uv, the Python workspace (locked), Debian's PostgreSQL and tesseract-ocr; check Java 17, Maven and Go
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@for tool in java mvn go; do command -v $$tool >/dev/null || { echo "missing: $$tool (Java 17, Maven and Go are needed once to provision Kafka and FerretDB)"; exit 1; }; done
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian's PostgreSQL server (FerretDB's storage, once)"; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql-15 >/dev/null; }
	@command -v tesseract >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian's tesseract-ocr (the gateway reads passports' MRZ with it, once)"; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq tesseract-ocr >/dev/null; }
	@$(UV) sync --all-packages --locked --quiet --compile-bytecode

# The web app's libraries (lit-html, uqr; axe-core for the browser tests), pinned in
# web/package-lock.json, installed by npm and copied to web/vendor/ (both ignored by git).
web: web/vendor/.stamp ## vendor the web app's libraries from npm (once; again when web/package-lock.json changes)

web/vendor/.stamp: web/package-lock.json web/vendor.mjs
	@command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian's Node.js and npm (the web app's libraries come from npm, once)"; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	@cd web && npm ci --no-audit --no-fund --loglevel=error && node vendor.mjs

run: deps web ## provision and start Kafka, FerretDB and every service, supervised (REPLICAS=2: two of each consumer)
	@$(RUN) python -m onewindow.devstack.supervised up --replicas $(REPLICAS)

stop: ## stop everything `make run` or `make test` started (by pid, nothing else)
	@$(RUN) python -m onewindow.devstack.supervised stop
	@$(RUN) onewindow stack down

status: ## show each process of the local stack, whether it is ready and how often it was restarted
	@$(RUN) python -m onewindow.devstack.supervised status

browser: ## install Debian's Chromium (and a Chinese font for the web app's screenshots) for the browser tests (once; needs root or sudo)
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

test: deps browser web ## provision what is missing, then ruff, mypy (strict) and pytest
	@$(RUN) onewindow stack test-infra
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy $(SOURCES)
	$(RUN) pytest

schemas: deps ## regenerate contracts/schemas from the message models (refuses breaking changes)
	$(RUN) python -m onewindow.contracts.schemas

demo: ## against the running stack (`make run`): three cases, each timeline printed live
	@$(RUN) onewindow demo

asyncapi: deps ## regenerate contracts/asyncapi/asyncapi.json from the services' FastStream apps (no network)
	ONEWINDOW_ENV=development $(RUN) python -m onewindow.cli.asyncapi

chaos: deps ## faults under load on a stack of its own (R1–R6); figures in chaos/results/latest.json (ARGS="--quick")
	$(RUN) python -m chaos $(ARGS)

fuzz: deps ## schemathesis on the gateway's OpenAPI, every role, real processes: no 5xx, no schema violation; figures in fuzz/results/latest.json (ARGS="--quick")
	$(RUN) python -m fuzz $(ARGS)

bench: deps ## end-to-end throughput and latency beside the raw broker (ARGS="--quick" for a smoke check); then the manifests' resources from its figures
	$(RUN) python -m bench $(ARGS)
	$(RUN) python -m deploy.k8s.tools.manifests

manifests: deps ## regenerate deploy/k8s's KafkaTopics and KafkaUsers (topic registry) and resources (bench)
	$(RUN) python -m deploy.k8s.tools.manifests

manifests-check: deps ## render every overlay (pinned kustomize) and validate it offline; also run by `make test`
	$(RUN) python -m deploy.k8s.tools.manifests --check
	$(RUN) python -m deploy.k8s.tools.check

lint: deps ## ruff lint and format check only
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: deps ## mypy strict only
	$(RUN) mypy $(SOURCES)

clean-state: stop ## delete the ignored state folder (jars, FerretDB binary, data, logs)
	rm -rf .state
