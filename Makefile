# The two commands of the README, and a few helpers.
# bash, not sh: the helpers source scripts/env.sh, which is bash.
SHELL := /bin/bash
.PHONY: demo test unit lint setup bench replay ui docs deploy

demo:   ## set up, then run the daily pipeline over a week of simulated game days
	scripts/demo.sh $(FROM) $(TO)

test:   ## set up, then run the whole test suite
	scripts/test.sh

unit:   ## the unit tier: the tests of pure functions (pytest -m unit; no dag.test(), no dbt), in under two minutes
	[ -x .venv/bin/pytest ] || scripts/setup.sh
	. scripts/env.sh && python -m pytest -m unit -n 0

lint:   ## ruff check and ruff format --check over everything we wrote (make test runs it first)
	scripts/lint.sh

setup:  ## only set up (virtualenv with pinned dependencies, Airflow metadata DB)
	scripts/setup.sh

bench:  ## run the benchmarks and print their figures
	scripts/setup.sh && . scripts/env.sh && python benchmarks/bench_ingest.py && python benchmarks/bench_quality.py

replay: ## serve a simulated league on 127.0.0.1:8765
	. scripts/env.sh && python -m mlb_replay --simulate --seed 7 --seasons 2024 --port 8765

ui:     ## the Airflow UI on http://localhost:8080 (embedded default)
	scripts/setup.sh && . scripts/env.sh && airflow standalone

docs:   ## serve the dbt docs site (the one the pipeline publishes) on http://localhost:8081
	scripts/setup.sh && scripts/docs.sh

deploy: ## deploy this checkout to the Cloud Composer environment ENV (deploy/README.md; DRY_RUN=1 prints the commands)
	@[ -n "$(ENV)" ] || { echo "usage: make deploy ENV=name (deploy/envs/name.env, or the Terraform workspace name)" >&2; exit 2; }
	scripts/setup.sh && deploy/deploy.sh "$(ENV)"
