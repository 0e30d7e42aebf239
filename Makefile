# The two commands of the README: `make demo` and `make test`.
.PHONY: demo test lint bench

demo:
	@scripts/bootstrap
	.venv/bin/knutpunkt serve

test:
	@scripts/bootstrap
	@scripts/services
	@scripts/browser
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/python -m pytest -q

lint:
	@scripts/bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

bench:
	@scripts/bootstrap
	.venv/bin/python bench/mina_sidor.py
