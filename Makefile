# Balie — the two set-up commands are `make demo` and `make test`; both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# mypy --strict runs on the domain packages: pure logic and the action layer.
STRICT := src/balie/core src/balie/conversations/workflow.py src/balie/conversations/delivery.py \
          src/balie/conversations/actions src/balie/parties/actions.py src/balie/parties/merge.py src/balie/parties/ports.py \
          src/balie/parties/normalise.py src/balie/parties/overview.py \
          src/balie/organisations/actions.py src/balie/organisations/apply \
          src/balie/routing src/balie/channels src/balie/workforce src/balie/backoffice src/balie/audit src/balie/privacy/retention src/balie/sla \
          src/balie/replies src/balie/privacy/detection src/balie/conduct \
          src/balie/privacy/models.py src/balie/privacy/policy.py src/balie/privacy/guard.py \
          src/balie/privacy/handlers.py src/balie/privacy/sealed.py src/balie/privacy/advice.py

.PHONY: install demo test test-postgres bench lint format messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/balie demo

# The whole suite on every core (one test database per worker; a file's tests stay together).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

test: $(STAMP)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 bash scripts/ensure-browser.sh
	bash scripts/ensure-dovecot.sh
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict $(STRICT)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	cd src/balie && ../../$(BIN)/balie manage makemessages -l nl --no-obsolete && ../../$(BIN)/balie manage compilemessages

clean:
	rm -rf $(VENV) var
