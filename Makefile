# Two entry points: `make demo` (set up and run the sandbox lab) and `make test`.
PYTHON ?= python3

.PHONY: test lint demo

test:
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check hvrt plugins contrib tests bench
