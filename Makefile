# Isoloir — the two commands: `make demo` and `make test`. Each sets up a fresh Debian 12 machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := demo-output
# Translations: French is the source language; English is the .ts below, compiled to the .qm the
# window loads (generated, not committed; docs/translations.md).
TS_EN := resources/i18n/isoloir_en.ts
QM_EN := ui/i18n/isoloir_en.qm

# Debian packages Isoloir needs at run and test time (libsodium: ristretto255; zbar: QR codes;
# the Qt platform plugins' libraries; Xvfb for real windows; poppler for looking at PDFs).
APT_PACKAGES := python3-venv libsodium23 libzbar0 libpulse0 libxrandr2 libxcb-icccm4 \
	libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 \
	libdbus-1-3 xvfb xauth poppler-utils

.PHONY: demo test bootstrap lint typecheck unit soak lock clean translations update-translations

demo: $(VENV)/.installed translations
	rm -rf $(DEMO_DIR)
	$(BIN)/isoloir election demo $(DEMO_DIR)/package --secrets $(DEMO_DIR)/secrets
	$(BIN)/isoloir election verify $(DEMO_DIR)/package
	$(BIN)/isoloir admin init --store $(DEMO_DIR)/kiosk.db --new-key-file $(DEMO_DIR)/kiosk-store.key \
		--kiosk-id kiosk-01 --kiosk-key $(DEMO_DIR)/secrets/kiosks/kiosk-01.key
	$(BIN)/isoloir admin load-package $(DEMO_DIR)/package --store $(DEMO_DIR)/kiosk.db \
		--key-file $(DEMO_DIR)/kiosk-store.key
	$(BIN)/isoloir admin status --store $(DEMO_DIR)/kiosk.db --key-file $(DEMO_DIR)/kiosk-store.key
	$(BIN)/isoloir tally demo-record $(DEMO_DIR)/record --ballots 200
	$(BIN)/isoloir verify record $(DEMO_DIR)/record
	@echo "Demo voters and their credentials: $(DEMO_DIR)/secrets/demo-credentials.csv"
	@echo "A complete verified election record (board, tally, results PDF): $(DEMO_DIR)/record"

test: $(VENV)/.installed translations lint typecheck unit

lint: $(VENV)/.installed
	$(BIN)/ruff check kiosk ui tests bench
	$(BIN)/ruff format --check kiosk ui tests bench

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed translations
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

# Longer fuzz and soak runs, outside the default suite.
soak: $(VENV)/.installed translations
	ISOLOIR_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

translations: $(QM_EN)

$(QM_EN): $(TS_EN) | $(VENV)/.installed
	mkdir -p $(@D)
	$(BIN)/pyside6-lrelease $(TS_EN) -qm $@

# After changing a UI text: collect every tr() string of ui/ into the .ts (new ones come out
# "unfinished"), translate them there, then make translations (tests/ui/test_translations.py).
update-translations: $(VENV)/.installed
	$(BIN)/pyside6-lupdate $$(find ui -name '*.py' | sort) -source-language fr_FR \
		-target-language en -locations none -no-obsolete -ts $(TS_EN)

bootstrap:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$(echo $$missing)"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -q && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
		else \
			echo "Isoloir needs these Debian packages. Run as root:"; \
			echo "  apt-get install -y $$(echo $$missing)"; \
			exit 1; \
		fi; \
	fi

$(VENV)/.installed: requirements.lock pyproject.toml | bootstrap
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Re-pin every package after changing pyproject's dependencies.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet 'setuptools>=77' wheel -e '.[dev]'
	(echo "# Exact versions of every package Isoloir installs (runtime and dev tools)."; \
	 echo "# Regenerate: make lock (installs pyproject's pins in a fresh venv, then pip freeze)."; \
	 .lock-venv/bin/pip freeze --all --exclude-editable | grep -v "^pip==") > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(QM_EN) .mypy_cache .ruff_cache .pytest_cache .hypothesis
