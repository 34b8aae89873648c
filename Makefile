# Isoloir — the two commands: `make demo` and `make test`. Each sets up a fresh Debian 12 machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := demo-output
SCREENSHOTS := screenshots
# The virtual screen of `make screenshots` (Xvfb): a common kiosk screen, landscape.
SCREEN := 1920x1080x24
# Translations: French is the source language; English is the .ts below, compiled to the .qm the
# window loads (generated, not committed; docs/translations.md).
TS_EN := resources/i18n/isoloir_en.ts
QM_EN := ui/i18n/isoloir_en.qm
# French needs a .ts of its own only for plural forms ("1 seconde", "2 secondes").
TS_FR := resources/i18n/isoloir_fr.ts
QM_FR := ui/i18n/isoloir_fr.qm

# Debian packages Isoloir needs at run and test time (libsodium: ristretto255; zbar: QR codes;
# the Qt platform plugins' libraries; Xvfb for real windows; poppler for looking at PDFs; CUPS
# and its PDF printer for the printing tests; PostgreSQL for the server's production backend;
# Chromium and its driver for the public board page's browser tests; systemd's tools check the
# units under packaging/).
APT_PACKAGES := python3-venv libsodium23 libzbar0 libpulse0 libxrandr2 libxcb-icccm4 \
	libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 \
	libdbus-1-3 xvfb xauth poppler-utils cups printer-driver-cups-pdf \
	postgresql-15 chromium chromium-driver systemd

.PHONY: demo screenshots test bootstrap lint typecheck unit soak lock clean translations \
	update-translations package package-smoke

# The whole demo election (README, "The two commands"): the demo election, trustees' key
# ceremony, sealed package, local server, enrolled kiosk with polls opened by the assesseur, then
# the kiosk window against the server (without a display: the tour under Xvfb, every page a PNG);
# when it ends, the tally: kiosk synced, polls closed, record exported, decrypted, verified.
demo: $(VENV)/.installed translations
	rm -rf $(DEMO_DIR)
	$(BIN)/isoloir demo $(DEMO_DIR)
	$(BIN)/isoloir demo tally $(DEMO_DIR)

# Every page of the kiosk window, French and English, and once in high contrast: the tour on a
# fresh demo kiosk in a temporary folder, in real X11 windows on a virtual screen (Xvfb).
screenshots: $(VENV)/.installed translations
	rm -rf $(SCREENSHOTS)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/isoloir demo setup "$$tmp/kiosk" > /dev/null && \
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 $(SCREEN)" \
		$(BIN)/isoloir demo kiosk "$$tmp/kiosk" --tour --out "$(CURDIR)/$(SCREENSHOTS)" \
		--languages fr,en --high-contrast-once

test: $(VENV)/.installed translations lint typecheck unit

lint: $(VENV)/.installed
	$(BIN)/ruff check kiosk ui server tests bench
	$(BIN)/ruff format --check kiosk ui server tests bench

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed translations
	ISOLOIR_REQUIRE_SYSTEM=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

# The kiosk bundle (docs/deployment.md): one folder, dist/isoloir/, with its own Python, Qt, the
# translations and the SQL migrations; its `isoloir` is the whole command line and the kiosk
# window. The system keeps libsodium23 (and the display, CUPS, fonts): docs/deployment.md.
package: $(VENV)/.installed translations
	rm -rf dist/isoloir build/isoloir
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build \
		packaging/bundle/isoloir.spec
	@du -sh dist/isoloir

# The bundle alone, from an empty folder and a bare environment: --version, demo setup, the kiosk
# tour offscreen (French, English) and under Xvfb, a printed receipt verified, a server started
# and stopped. CI runs it (.ci/run): build and journey add 1 to 4 minutes to the suite's 6
# (docs/deployment.md, "The bundle in CI").
package-smoke: package
	packaging/bundle/smoke.sh dist/isoloir/isoloir

# Longer fuzz and soak runs, outside the default suite.
soak: $(VENV)/.installed translations
	ISOLOIR_SOAK=1 ISOLOIR_REQUIRE_SYSTEM=1 QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

translations: $(QM_EN) $(QM_FR)

ui/i18n/%.qm: resources/i18n/%.ts | $(VENV)/.installed
	mkdir -p $(@D)
	$(BIN)/pyside6-lrelease $< -qm $@

# After changing a UI text: collect every tr() string of ui/ into the .ts (new ones come out
# "unfinished"), translate them there, then make translations (tests/ui/test_translations.py).
update-translations: $(VENV)/.installed
	$(BIN)/pyside6-lupdate $$(find ui -name '*.py' | sort) -source-language fr_FR \
		-target-language en -locations none -no-obsolete -ts $(TS_EN)
	$(BIN)/pyside6-lupdate $$(find ui -name '*.py' | sort) -source-language fr_FR \
		-target-language fr_FR -locations none -no-obsolete -pluralonly -ts $(TS_FR)

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
	rm -rf $(VENV) $(DEMO_DIR) $(SCREENSHOTS) $(QM_EN) $(QM_FR) .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		build dist
