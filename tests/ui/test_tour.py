"""The tour on a fresh demo setup, offscreen: one picture of every page, and only its own votes.

The tour drives the real window through the whole voter journey (réassort, inactivity, a
challenged ballot, a lock, the end of the voting window); this checks what it leaves behind.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from kiosk.audit import AuditEvent
from kiosk.cli import main as isoloir
from kiosk.cli.demo import DemoKiosk
from kiosk.clock import SystemClock
from kiosk.store import KioskStore, StoreKey
from kiosk.voting.model import Display
from ui.tour import (
    PAGES,
    TourError,
    TourOptions,
    main,
    read_demo_voters,
    run_tour,
    shot_name,
    tour_displays,
)


def _setup(folder: Path, voters: int) -> DemoKiosk:
    layout = DemoKiosk(folder / "kiosk")
    with contextlib.redirect_stdout(io.StringIO()):
        code = isoloir(
            ["demo", "setup", str(layout.root), "--voters", str(voters), "--kdf", "test"]
        )
    assert code == 0
    return layout


def _options(layout: DemoKiosk, out: Path) -> TourOptions:
    return TourOptions(
        store=layout.store,
        key_file=layout.key_file,
        out=out,
        credentials=layout.credentials,
        mail_dir=layout.mailbox,
        print_dir=layout.prints,
    )


def test_the_tour_saves_every_page_and_casts_exactly_its_votes(
    qapp: QApplication, tmp_path: Path
) -> None:
    layout = _setup(tmp_path, voters=3)  # electeur-0001 and -0002 are left to people
    out = tmp_path / "shots"
    report = run_tour(_options(layout, out))

    expected = [out / shot_name(page, Display()) for page in PAGES]
    assert list(report.shots) == expected
    assert sorted(out.iterdir()) == sorted(expected)
    pixels = set()
    for path in expected:
        with Image.open(path) as image:
            assert image.format == "PNG"
            rgb = image.convert("RGB")
        assert rgb.getcolors(maxcolors=1) is None, f"{path.name} is blank"
        pixels.add(rgb.tobytes())
    assert len(pixels) == len(PAGES)  # every picture shows another page

    assert report.voter_id == "electeur-0003"
    assert len(report.cast) == 2  # each demo voter votes in two scrutins
    key = StoreKey.from_key_file(layout.key_file)
    with KioskStore.open(layout.store, key, SystemClock(), read_only=True) as store:
        status = store.status()
        assert status.emargements == len(report.cast)
        assert status.outbox.total == len(report.cast)  # the challenged ballot was never cast
        assert store.voted_scrutins(report.voter_id) == frozenset(report.cast)
        for voter in read_demo_voters(layout.credentials):
            if voter.voter_id != report.voter_id:
                assert store.voted_scrutins(voter.voter_id) == frozenset()
    assert len(list(layout.prints.glob("depot/*.pdf"))) == len(report.cast)
    assert len(list(layout.prints.glob("controle/*.pdf"))) == 1
    assert len(list(layout.mailbox.glob("*.eml"))) == 1  # the réassort token
    # The assesseur's console: the opening report printed (the polls opened by the tour, or the
    # demo's report printed again), and signed in as the demo's accounts.
    assert len(list(layout.prints.glob("rapport/*.pdf"))) == 1
    with KioskStore.open(layout.store, key, SystemClock(), read_only=True) as store:
        logins = [
            entry.fields.get("operator")
            for entry in store.audit_entries()
            if entry.event is AuditEvent.OPERATOR_LOGIN
        ]
    assert logins[-2:] == ["assesseur", "admin"]  # the console's tour, then closing the window

    # Run again: no voter is left that the tour may use, and it says so before opening a window.
    with pytest.raises(TourError, match="has voted"):
        run_tour(_options(layout, tmp_path / "again"))
    assert not (tmp_path / "again").exists()


def test_the_command_refuses_an_unknown_language(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--store", "s", "--key-file", "k", "--out", "o", "--languages", "fr,de"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "languages among fr, en" in capsys.readouterr().err


def test_file_names_number_the_pages_and_name_the_display() -> None:
    displays = tour_displays(("en", "fr"), high_contrast_once=True)
    assert displays == (
        Display(language="en"),
        Display(language="fr"),
        Display(language="en", high_contrast=True),
    )
    assert shot_name("admin-login", displays[0]) == "01-admin-login-en.png"
    assert shot_name("welcome", displays[1]) == f"{PAGES.index('welcome') + 1:02d}-welcome-fr.png"
    assert shot_name("refused", displays[2]) == f"{len(PAGES):02d}-refused-en-high-contrast.png"
