# The suite's commands. `make run` to look around, `make test` to run every test.
# Processes read their configuration from the environment (see README.md); with no service URLs
# set they run embedded (SQLite, in-process cache, eager Celery, events delivered in-process).
.DEFAULT_GOAL := help
PY := .venv/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test services-up services-down services-status migrate demo web grpc worker beat relay consume \
	lint typecheck format bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: ## the suite with demo data on http://127.0.0.1:8000 (embedded unless service URLs are set)
	@scripts/bootstrap --runtime
	@DEBUG=$${DEBUG:-1} $(MANAGE) migrate --no-input
	@DEBUG=$${DEBUG:-1} $(MANAGE) load_demo_data
	@DEBUG=$${DEBUG:-1} $(MANAGE) load_demo_history --days $${DEMO_HISTORY_DAYS:-120}
	@echo "Admin:    http://$(HOST):$(PORT)/admin/"
	@echo "API docs: http://$(HOST):$(PORT)/api/docs/"
	@DEBUG=$${DEBUG:-1} $(MANAGE) runserver $(HOST):$(PORT)

test: ## start Postgres, Redis and Kafka, then lint, type-check and run every test
	@scripts/test

services-up: ## install and start PostgreSQL, Redis and Kafka on loopback
	@scripts/services up
services-down: ## stop the services that services-up started
	@scripts/services down
services-status: ## one line per service
	@scripts/services status

migrate: ## apply migrations
	$(MANAGE) migrate --no-input
demo: ## load the demo data
	$(MANAGE) load_demo_data
	$(MANAGE) load_demo_history --days $${DEMO_HISTORY_DAYS:-120}

web: ## the web process under gunicorn
	$(MANAGE) collectstatic --no-input -v 0
	rm -rf .data/metrics && mkdir -p .data/metrics
	PROCESS_ROLE=web PROMETHEUS_MULTIPROC_DIR=.data/metrics HOST=$(HOST) PORT=$(PORT) WEB_CONCURRENCY=$${WEB_WORKERS:-2} \
		.venv/bin/gunicorn --config config/gunicorn.py config.wsgi
grpc: ## the gRPC server
	$(MANAGE) run_grpc
worker: ## a Celery worker (the default queue, the reports' analytics queue and the notifications queue)
	.venv/bin/celery -A config worker -Q celery,analytics,notifications --loglevel INFO
beat: ## the Celery beat scheduler (run exactly one)
	.venv/bin/celery -A config beat --loglevel INFO
relay: ## the outbox relay to Kafka
	$(MANAGE) relay_events
consume: ## a consumer group: make consume GROUP=reports.sales
	$(MANAGE) consume_events --group $(GROUP)

lint: ## ruff (lint and format), and the import layers (import-linter, contracts in pyproject.toml)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
typecheck: ## mypy
	DEBUG=1 .venv/bin/mypy .
format: ## ruff format + autofix
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .
bench: ## run one benchmark against the local services, e.g. make bench NAME=orders_placement
	@test -n "$(NAME)" || { echo "NAME= one of:"; ls bench/*.py | xargs -n1 basename | sed 's/\.py$$//' \
		| grep -v -e _common -e _baseline -e pg_activity -e trivial; exit 2; }
	@scripts/services up
	@# The benches open hundreds of connections at once (a client process each), which PostgreSQL
	@# takes longer than production's 3 s connect timeout to accept on two CPUs.
	@# A DATABASE_URL or REDIS_URL already set wins, so two people (or worktrees) can bench at once,
	@# each on scratch databases named after their own database. The bench's Celery broker (whose
	@# queue a bench purges) is Redis database 8 unless BENCH_CELERY_BROKER_URL names another: never
	@# a CELERY_BROKER_URL from the shell, which may be a development worker's queue.
	@db="$${DATABASE_URL:-}" redis="$${REDIS_URL:-}" && eval "$$(scripts/services env)" && redis="$${redis:-$$REDIS_URL}" && \
		broker="$${BENCH_CELERY_BROKER_URL:-$${redis%/*}/8}" && \
		DATABASE_URL="$${db:-$$DATABASE_URL}" REDIS_URL="$$redis" DEBUG=0 SECRET_KEY=$${SECRET_KEY:-bench-only-secret-key-0123456789abcdef-not-for-use} \
		DATABASE_CONNECT_TIMEOUT_SECONDS=$${DATABASE_CONNECT_TIMEOUT_SECONDS:-20} CACHE_KEY_PREFIX=$${BENCH_CACHE_KEY_PREFIX:-bench} \
		CELERY_BROKER_URL="$$broker" CELERY_RESULT_BACKEND="$$broker" \
		$(PY) bench/$(NAME).py $(ARGS)
