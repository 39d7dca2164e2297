# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := fixtures/generalization/overfitting_breast_cancer.py

.PHONY: demo test bench install clean browser

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p reports
	$(BIN)/modeldoctor check --quiet $(DEMO) --save-record reports/demo.record.json --output reports/demo.html; \
	  code=$$?; test $$code -le 1 || exit $$code
	@echo "HTML report: $(CURDIR)/reports/demo.html"

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -q

# The HTML report's real-browser test needs Chromium; install it where we may (root, Debian).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the browser test will be skipped"; }

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) reports build dist *.egg-info
