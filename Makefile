# Two entry points: `make demo` (set up and run the sandbox lab) and `make test`.
PYTHON ?= python3

.PHONY: test lint demo

# Fresh machine: install what is needed, start the sandbox lab, run 2012r2-vhdx.
demo:
	bash scripts/demo.sh

test:
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check hvrt plugins contrib tests bench
