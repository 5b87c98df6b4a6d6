# 办电助手: `make run` to start the assistant, `make test` to run every test.
SHELL := /bin/bash
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: run test help shell install model kb-check lint eval nlu-eval run-prod test-scale bench test-reliability clean

run: install            ## install, train if needed, start Rasa (:5005) and actions (:5055)
	@scripts/run.sh

test: install           ## install and run every test (what CI runs)
	@scripts/test.sh

help:                   ## list the targets (the `## ` comments of this Makefile)
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:[^#]*## / { printf "  make %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run-prod: install       ## production profile on this machine: PostgreSQL, Redis, nginx :6080, 2x Rasa/actions/web
	@scripts/run-prod.sh

test-scale: install     ## start the production topology, run tests/scale through nginx, tear down
	@scripts/test-scale.sh

bench: install          ## assistant vs a trivial Rasa bot, side by side, and the growth curve → docs/benchmarks.md (~1 h; BENCH_SKIP_TRAINING=1 reuses the models)
	@scripts/bench.sh

.PHONY: bench-growth
bench-growth: install   ## only the growth curve: KB of 5 → 50 → 330 cities → its section of docs/benchmarks.md (~40 min; BENCH_GROWTH_REST=0: in-process only)
	@scripts/bench.sh growth

test-reliability: install  ## fuzz every entry point, kill -9 / database faults, security checks → docs/reliability.md figures
	@scripts/test-reliability.sh

shell: install          ## chat in the terminal
	@scripts/shell.sh

install: $(INSTALLED)   ## create .venv and install the pinned dependencies (when requirements change)

$(INSTALLED): requirements.txt requirements-dev.txt constraints.txt
	@python=$$(scripts/find-python) && { [ -x $(VENV)/bin/python ] || $$python -m venv $(VENV); }
	$(VENV)/bin/python -m pip install -q -c constraints.txt -r requirements-dev.txt
	@# a bare `rasa test` reads every test_*.yml below "." (Rasa 3.6), and .venv holds the sample
	@# stories of `rasa init`, which this assistant would fail; they go, so it tests tests/stories only
	@rm -f $(VENV)/lib/python3*/site-packages/rasa/cli/initial_project/tests/test_stories.yml
	@touch $@

model: install          ## train the model if its inputs changed
	@scripts/train.sh >/dev/null

kb-check: install       ## validate the knowledge base against the seed documents
	@source scripts/env.sh && $$PY -m bot.knowledge.check

lint: install           ## ruff and mypy
	@source scripts/env.sh && $$VENV_BIN/ruff check bot actions tests rasa_sdk_plugins && $$VENV_BIN/mypy bot actions rasa_sdk_plugins

eval: install           ## score the public question set against a freshly started server
	@scripts/eval.sh

nlu-eval: install       ## held-out NLU evaluation (reports in var/results/nlu)
	@scripts/nlu_eval.sh

.PHONY: nlu-validate
nlu-validate: install   ## choose NLU changes on 80/20 splits of the training data, not the held-out split (~4 min)
	@scripts/nlu_validate.sh

clean:                  ## remove models, build output and caches
	rm -rf models build var/results var/log .pytest_cache .mypy_cache .ruff_cache
