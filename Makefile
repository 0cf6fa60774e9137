# clusterforge: the two commands a newcomer needs are `make render` and `make test`.
STACK ?= homelab
CRDS ?= ../shared/schemas/crds

.PHONY: setup setup-test render render-all check test bench lint

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# Evaluate a stack offline under Pulumi's mock runtime; writes build/$(STACK)/.
render: setup
	.venv/bin/clusterforge render $(STACK)

render-all: setup
	.venv/bin/clusterforge render all

check: setup
	.venv/bin/clusterforge check all --crd-schemas $(CRDS)

test: setup-test
	.venv/bin/python -m pytest -q

bench: setup-test
	.venv/bin/clusterforge bench render
